"""Every change to an enrollment goes through here: pages, admin, API and commands.

MongoDB on a standalone server has no transactions, so each rule that must
hold under concurrency is one atomic single-document update:

* a seat is taken by a conditional ``$inc`` on the course
  (``enrolled_count < capacity``), so the database decides who gets the
  last seat and a course is never overbooked;
* a state change is a conditional update on the enrollment
  (``status = <what we saw>``), so two concurrent drops or promotions of
  the same enrollment cannot both succeed;
* the unique index on (student, course) refuses a second enrollment;
* the rules that weigh a student's whole term (the credit limit, schedule
  clashes) are checked under the student's registration lock for the term
  (``enrollment.locks``), taken by one conditional write: an enrollment, a
  waitlist join and a promotion of one student never run at once, so none
  of them is checked against a term that another is changing;
* a student's permit is used by one conditional update under that lock
  (``enrollment.permits``), so it is used once;
* a hold (enrollment.holds) is placed by staff or a file, not under the
  student's lock, so it may be written while the student enrolls: every
  write that gives a student a seat or a waitlist place reads their holds
  again once it is written, and takes itself back if one is active. A
  seat or place stands only if it was written before every active hold;
* a withdrawal is the same conditional update as a drop (``status =
  enrolled``), so a seat is given up once and goes to the waitlist at once.

The lock keeps no copy of anything. A per-student credit counter (or a list
of busy hours) updated with ``credits + c <= limit`` would cost the same one
write, but it is a second copy of what the enrollments say: every drop,
promotion, admin edit of a course's credits or hours and every request that
dies between two writes would have to keep it exact, and one that does not
refuses or admits the wrong student for good. The lock is only ever
checked against the enrollments themselves, and a lost one expires.

Where a step fails after an earlier one succeeded, the earlier one is undone
(a seat given back, the lock returned), never left half-done.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import F, ProtectedError, Q
from django.utils import timezone
from django.utils.text import Truncator

from catalog.models import Course
from catalog.selectors import course_prerequisites

from .appointments import term_appointment_groups
from .eligibility import Reason, enrollment_eligibility, hold_reasons, term_load_reasons
from .emails import send_passed_over_email, send_promotion_email
from .grades import Grade
from .locks import hold_term, unlock_term
from .models import Enrollment, EnrollmentEvent, Status, Via
from .permits import permit_give_back, permit_note, permit_use, without_waived
from .selectors import active_holds_if_any

logger = logging.getLogger(__name__)


class EnrollmentError(Exception):
    """A rule refused the change; nothing was written."""

    code = "enrollment_refused"

    def __init__(self, message: str, *, reasons: list[Reason] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.reasons = reasons or []
        if code:
            self.code = code


class NotEligible(EnrollmentError):
    code = "not_eligible"


class AlreadyEnrolled(EnrollmentError):
    code = "already_enrolled"


class NotEnrolled(EnrollmentError):
    code = "not_enrolled"


class DropDeadlinePassed(EnrollmentError):
    code = "drop_deadline_passed"


class WithdrawalNotOpen(EnrollmentError):
    """Before the drop deadline a student drops: nothing stays on the transcript."""

    code = "withdrawal_not_open"


class WithdrawDeadlinePassed(EnrollmentError):
    code = "withdraw_deadline_passed"


class TryAgain(EnrollmentError):
    """Nothing is wrong with the request, but something it needs was busy: sending it again should work."""

    code = "try_again"


class CourseInUse(EnrollmentError):
    code = "course_in_use"


def enrollment_create(
    *, student, course: Course, actor=None, via: str = Via.PAGE, override_capacity: bool = False, now=None
) -> Enrollment:
    """Enroll student in course, or put them on its waitlist when it is full.

    ``override_capacity`` lets staff give a seat beyond capacity; it is
    recorded in the enrollment's history. The student's permit, where it
    waives a reason, is used up under the registration lock (enrollment.permits).
    """
    now = now or timezone.now()
    actor = actor or student
    prerequisites = course_prerequisites(course)
    holds = active_holds_if_any(student=student)
    groups = term_appointment_groups(course.term)

    def check(enrollments):
        eligibility = enrollment_eligibility(
            student=student, course=course, enrollments=enrollments, prerequisites=prerequisites, holds=holds,
            appointment_groups=groups, now=now,
        )
        if not eligibility.can_enroll:
            blocking = eligibility.blocking_reasons
            error_class = AlreadyEnrolled if blocking[0].code.startswith("already_") else NotEligible
            raise error_class(" ".join(reason.message for reason in blocking), reasons=blocking)
        return eligibility

    token, eligibility = _hold(student, course.term, check)
    permit = eligibility.permit
    if permit is not None and not permit_use(permit, now=now):
        unlock_term(student=student, term=course.term, token=token)
        raise NotEligible(f"Your permit for {course.code} was used or expired meanwhile.", code="permit_used")

    def undo():
        if permit is not None:
            permit_give_back(permit)
        unlock_term(student=student, term=course.term, token=token)

    try:
        status = _take_seat_or_join_waitlist(
            course, override_capacity=override_capacity or eligibility.waives_capacity
        )
    except EnrollmentError:
        undo()
        raise
    previous = eligibility.enrollment
    try:
        enrollment = _write_enrollment(student, course, status, previous, now, token, permit)
    except AlreadyEnrolled:
        _release(course, status)
        undo()
        raise
    note = "capacity override" if override_capacity and status == Status.ENROLLED else ""
    if permit is not None:
        note = Truncator("; ".join(filter(None, [note, permit_note(permit)]))).chars(200)
    _record(enrollment, actor, previous.status if previous else "", status, via, note)
    if late := hold_reasons(active_holds_if_any(student=student)):
        _take_back(enrollment, actor=actor, via=via, now=now)
        raise NotEligible(" ".join(reason.message for reason in late), reasons=late)
    return enrollment


def enrollment_drop(
    *, enrollment: Enrollment, actor, via: str = Via.PAGE, override_deadline: bool = False, now=None, note: str = ""
) -> Enrollment:
    """Drop an enrollment or leave a waitlist; a freed seat goes to the waitlist.

    Leaving a waitlist ends the swap it was waiting for (enrollment.swaps).
    """
    now = now or timezone.now()
    if actor.pk != enrollment.student_id and not actor.is_staff:
        raise PermissionDenied("You can only drop your own enrollments.")
    course = enrollment.course
    old_status = enrollment.status
    if not enrollment.is_active:
        raise NotEnrolled(f"You are not enrolled in {course.code}.")
    if old_status == Status.ENROLLED and not course.term.is_drop_open(now) and not override_deadline:
        raise DropDeadlinePassed(f"The drop deadline for {course.term} has passed.")
    if old_status == Status.ENROLLED and not course.term.is_drop_open(now):
        note = "; ".join(filter(None, [note, "after the drop deadline"]))
    if not _leave(enrollment, to_status=Status.DROPPED, actor=actor, via=via, now=now, note=note):
        raise NotEnrolled(f"Your enrollment in {course.code} changed meanwhile; reload and try again.")
    course.refresh_from_db(fields=["enrolled_count", "waitlist_count"])
    return enrollment


def enrollment_withdraw(
    *, enrollment: Enrollment, actor, via: str = Via.PAGE, override_deadline: bool = False, now=None
) -> Enrollment:
    """Withdraw from a course after the drop deadline: status withdrawn, grade W, the seat to the waitlist at once.

    A student withdraws between the drop deadline and the withdrawal
    deadline; staff may at any other time when they say so
    (``override_deadline``), which the enrollment's history records.
    """
    now = now or timezone.now()
    if actor.pk != enrollment.student_id and not actor.is_staff:
        raise PermissionDenied("You can only withdraw from your own enrollments.")
    course = enrollment.course
    term = course.term
    if enrollment.status != Status.ENROLLED:
        raise NotEnrolled(f"You are not enrolled in {course.code}.")
    if enrollment.grade:
        raise EnrollmentError(
            f"{course.code} already has its grade ({enrollment.grade}): take it away before withdrawing.",
            code="already_graded",
        )
    in_period = term.is_withdraw_open(now)
    if not in_period and not override_deadline:
        if term.is_drop_open(now):
            raise WithdrawalNotOpen(f"The drop deadline for {term} has not passed: drop {course.code} instead.")
        raise WithdrawDeadlinePassed(
            f"The withdrawal deadline for {term} has passed: to leave {course.code}, ask {settings.REGISTRAR_OFFICE}."
        )
    note = "" if in_period else "outside the withdrawal period"
    if not _leave(enrollment, to_status=Status.WITHDRAWN, grade=Grade.WITHDRAWN, actor=actor, via=via, now=now,
                  note=note):
        raise NotEnrolled(f"Your enrollment in {course.code} changed meanwhile; reload and try again.")
    course.refresh_from_db(fields=["enrolled_count", "waitlist_count"])
    return enrollment


def enrollment_promote(*, enrollment: Enrollment, actor, via: str = Via.ADMIN, override_capacity: bool = False,
                       now=None) -> Enrollment:
    """Move one waitlisted student into a free seat (or beyond capacity, if staff say so).

    The student's term must still allow the course (no clash, within the
    credit limit): capacity is the only rule staff may override.
    """
    now = now or timezone.now()
    if enrollment.status != Status.WAITLISTED:
        raise NotEnrolled(f"{enrollment.student} is not on the waitlist for {enrollment.course.code}.")
    course, student = enrollment.course, enrollment.student
    holds = active_holds_if_any(student=student)

    def check(enrollments):
        if reasons := hold_reasons(holds) + without_waived(
            term_load_reasons(course=course, enrollments=enrollments), enrollment
        ):
            raise NotEligible(" ".join(reason.message for reason in reasons), reasons=reasons)

    token, _ = _hold(student, course.term, check)
    if not _take_seat(course, respect_waitlist=False, override_capacity=override_capacity):
        unlock_term(student=student, term=course.term, token=token)
        raise EnrollmentError(f"{course.code} has no free seat.", code="course_full")
    waited_since = enrollment.waitlisted_at
    if not _move_to_enrolled(enrollment, now, token):
        _release(course, Status.ENROLLED)
        unlock_term(student=student, term=course.term, token=token)
        raise NotEnrolled(f"{enrollment.student} left the waitlist for {course.code} meanwhile.")
    if late := _taken_back_for_a_hold(enrollment, waited_since=waited_since, token=token, now=now):
        _release(course, Status.ENROLLED)
        raise NotEligible(" ".join(reason.message for reason in late), reasons=late)
    _after_promotion(enrollment, actor, via, "capacity override" if override_capacity else "", token)
    return enrollment


def course_fill_from_waitlist(*, course: Course, actor=None, via: str = Via.COMMAND, now=None) -> list[Enrollment]:
    """Give every free seat of course to its waitlist, in arrival order."""
    promoted = []
    while _take_seat(course, respect_waitlist=False):
        enrollment = _promote_next(course, actor=actor, via=via, now=now)
        if enrollment is None:
            _release(course, Status.ENROLLED)
            break
        promoted.append(enrollment)
    course.refresh_from_db(fields=["enrolled_count", "waitlist_count"])
    return promoted


def enrollment_set_grade(
    *, enrollment: Enrollment, grade: str, actor, reason: str, via: str = Via.ADMIN
) -> Enrollment:
    """A registrar's grade change: from the grade as read to ``grade``, with why, in the enrollment's history.

    One conditional update on the grade as read, so a grade recorded
    meanwhile (a submitted grade sheet, another change) is never overwritten
    unseen. Instructors grade through their grade sheets (enrollment.grade_sheets).
    """
    reason = reason.strip()
    if grade not in Grade.values and grade != "":
        raise EnrollmentError(f"“{grade}” is not a grade.", code="invalid_grade")
    if not reason:
        raise EnrollmentError("Say why the grade changes: it is kept in the enrollment's history.",
                              code="reason_required")
    if grade == Grade.WITHDRAWN:
        # A W without the withdrawal would still count the course's credits.
        raise EnrollmentError("A W comes with a withdrawal: withdraw the enrollment instead.", code="invalid_grade")
    if enrollment.status == Status.WITHDRAWN or (enrollment.status != Status.ENROLLED and grade):
        raise NotEnrolled(f"Only an enrolled student can be graded; {enrollment.student} is {enrollment.status}.")
    before = enrollment.grade
    changed = Enrollment.objects.filter(pk=enrollment.pk, grade=before).update(grade=grade, updated_at=timezone.now())
    if not changed:
        raise NotEnrolled(f"The grade of {enrollment.student} in {enrollment.course.code} changed meanwhile; "
                          "reload and try again.")
    enrollment.grade = grade
    _record(enrollment, actor, enrollment.status, enrollment.status, via, Truncator(reason).chars(200),
            from_grade=before, to_grade=grade)
    return enrollment


def course_delete(*, course: Course) -> None:
    """Delete a course nobody is enrolled in, waiting for or graded in.

    Its dropped, ungraded enrollments and their history go with it. Any
    other enrollment protects the course (``Enrollment.course`` is PROTECT,
    checked again by the deletion itself, so an enrollment made meanwhile
    still stops it).
    """
    if count := Enrollment.objects.filter(course=course).keeping_course().count():
        raise CourseInUse(
            f"{course.code} has {count} enrolled, waitlisted or graded student{'s' if count != 1 else ''}: "
            f"deleting it would delete their enrollments and history. Drop the enrollments first."
        )
    Enrollment.objects.filter(course=course).deletable_with_course().delete()
    try:
        course.delete()
    except ProtectedError:
        raise CourseInUse(f"{course.code} gained an enrollment meanwhile; it was not deleted.") from None


# --- the atomic steps ------------------------------------------------------------


def _leave(enrollment: Enrollment, *, to_status: str, actor, via: str, now, note: str = "", grade=None) -> bool:
    """Move an active enrollment to DROPPED or WITHDRAWN and pass its seat or place on at once.

    One conditional update on the status as read (and, when a grade comes
    with it, on there being none yet): False, with nothing written, when
    another request changed the enrollment first.
    """
    old_status = enrollment.status
    # Leaving ends the swap the enrollment was waiting for or finishing (enrollment.swaps).
    changes = {"status": to_status, "waitlisted_at": None, "waitlist_note": "", "swap_for": None, "updated_at": now}
    unchanged = {"pk": enrollment.pk, "status": old_status}
    if grade is not None:
        changes["grade"], unchanged["grade"] = grade, ""
    if not Enrollment.objects.filter(**unchanged).update(**changes):
        return False
    enrollment.status, enrollment.waitlisted_at, enrollment.waitlist_note = to_status, None, ""
    enrollment.swap_for = None
    if grade is not None:
        enrollment.grade = grade
    _record(enrollment, actor, old_status, to_status, via, note)
    course = enrollment.course
    if old_status == Status.WAITLISTED:
        Course.objects.filter(pk=course.pk).update(waitlist_count=F("waitlist_count") - 1)
    elif _promote_next(course, actor=actor, via=via, now=now) is None:
        # Nobody waiting: the seat goes back to the pool.
        Course.objects.filter(pk=course.pk).update(enrolled_count=F("enrolled_count") - 1)
    return True


def _take_back(enrollment: Enrollment, *, actor, via: str, now) -> None:
    """Drop an enrollment written after a hold was placed, whatever it has become meanwhile.

    A place on the waitlist may have turned into a seat, or the student may
    have dropped it, between its write and this: each try drops what it
    finds, so the seat or place is given up exactly once.
    """
    for _ in range(_PLACE_ATTEMPTS):
        if not enrollment.is_active or _leave(
            enrollment, to_status=Status.DROPPED, actor=actor, via=via, now=now,
            note="taken back: a hold was placed meanwhile",
        ):
            return
        enrollment.refresh_from_db(fields=["status"])
    logger.error("could not take back enrollment %s after a hold was placed", enrollment.pk)


def _take_seat(course: Course, *, respect_waitlist: bool, override_capacity: bool = False) -> bool:
    seats = Course.objects.filter(pk=course.pk)
    if not override_capacity:
        seats = seats.filter(enrolled_count__lt=F("capacity"))
        if respect_waitlist:
            # A newcomer does not jump a queue that is waiting for a seat.
            seats = seats.filter(waitlist_count=0)
    return seats.update(enrolled_count=F("enrolled_count") + 1) == 1


# Each attempt fails only when another request changed the course in between.
_PLACE_ATTEMPTS = 10


def _take_seat_or_join_waitlist(course: Course, *, override_capacity: bool) -> str:
    """ENROLLED or WAITLISTED: a free seat when there is one and nobody waits
    for it, else a place at the end of the waitlist.

    Each is one conditional update whose conditions are the other's exact
    opposite, so the database decides, and a student never joins a waitlist
    while a seat is free for them. The first attempt is the one the course
    as read suggests: one update in the usual case, full course or not.
    """
    if override_capacity:
        _take_seat(course, respect_waitlist=True, override_capacity=True)
        return Status.ENROLLED
    seat_first = not course.is_full and not course.waitlist_count
    for _ in range(_PLACE_ATTEMPTS):
        if seat_first and _take_seat(course, respect_waitlist=True):
            return Status.ENROLLED
        if _join_waitlist(course):
            return Status.WAITLISTED
        seat_first = True
    raise TryAgain(f"{course.code} is changing too fast to enroll you; try again.")


def _join_waitlist(course: Course) -> bool:
    queue = Course.objects.filter(pk=course.pk).filter(Q(enrolled_count__gte=F("capacity")) | Q(waitlist_count__gt=0))
    return queue.update(waitlist_count=F("waitlist_count") + 1) == 1


def _release(course: Course, status: str) -> None:
    counter = "enrolled_count" if status == Status.ENROLLED else "waitlist_count"
    Course.objects.filter(pk=course.pk).update(**{counter: F(counter) - 1})


def _write_enrollment(student, course, status, previous: Enrollment | None, now, token: str,
                      permit=None, swap_for: Enrollment | None = None) -> Enrollment:
    waitlisted_at = now if status == Status.WAITLISTED else None
    if previous is not None:
        reused = Enrollment.objects.filter(pk=previous.pk, status=Status.DROPPED).update(
            status=status, grade="", waitlisted_at=waitlisted_at, waitlist_note="", lock_token=token, updated_at=now,
            permit=permit, swap_for=swap_for,
        )
        if not reused:
            raise AlreadyEnrolled(f"You are already enrolled in {course.code}.")
        previous.status, previous.grade, previous.waitlisted_at = status, "", waitlisted_at
        previous.waitlist_note, previous.lock_token, previous.permit = "", token, permit
        previous.swap_for = swap_for
        return previous
    try:
        return Enrollment.objects.create(
            student=student, course=course, status=status, waitlisted_at=waitlisted_at, lock_token=token,
            permit=permit, swap_for=swap_for,
        )
    except IntegrityError:
        raise AlreadyEnrolled(f"You are already enrolled in {course.code}.") from None


def _move_to_enrolled(enrollment: Enrollment, now, token: str) -> bool:
    # A swap holds the lock on until the course it replaces is dropped
    # (enrollment.swaps), and moves only if it is still the swap it was seen as.
    swap = enrollment.swap_for_id
    moved = Enrollment.objects.filter(pk=enrollment.pk, status=Status.WAITLISTED, swap_for=swap).update(
        status=Status.ENROLLED, waitlisted_at=None, waitlist_note="", lock_token="" if swap else token,
        updated_at=now or timezone.now(),
    )
    if moved:
        enrollment.status, enrollment.waitlisted_at, enrollment.waitlist_note = Status.ENROLLED, None, ""
    return bool(moved)


def _hold(student, term, check) -> tuple:
    """The student's registration lock for term, with what check(enrollments) returned; TryAgain while busy."""
    held = hold_term(student=student, term=term, check=check)
    if held is None:
        raise TryAgain(f"Another change to your {term} registration is still in progress; try again in a moment.")
    return held


def _promote_next(course: Course, *, actor, via: str, now) -> Enrollment | None:
    """Hand a seat already counted as taken to the first waiting student whose term allows it.

    Each candidate's term is checked again, under their registration lock: a
    clash or the credit limit may have come up since they joined (a course's
    hours or credits changed). Such a student is passed over, keeps their
    place, and is told why; the seat goes to the next one.
    """
    passed_over = []
    while True:
        waiting = list(
            Enrollment.objects.filter(course=course).exclude(pk__in=passed_over).in_waitlist_order()
            .select_related("student")[:5]
        )
        if not waiting:
            return None
        for enrollment in waiting:
            enrollment.course = course
            if _promote_if_allowed(enrollment, actor=actor, via=via, now=now):
                return enrollment
            passed_over.append(enrollment.pk)


def _promote_if_allowed(enrollment: Enrollment, *, actor, via: str, now) -> bool:
    student, course = enrollment.student, enrollment.course
    holds = active_holds_if_any(student=student)
    held = hold_term(student=student, term=course.term, check=lambda enrollments: hold_reasons(holds) + without_waived(
        term_load_reasons(course=course, enrollments=enrollments), enrollment))
    if held is None:
        # Their own request has held the lock for seconds: it is stuck, and
        # the seat should not wait for it. They keep their place.
        logger.warning("passed over %s for a seat in %s: their registration is busy", student.pk, course.code)
        return False
    token, reasons = held
    if reasons:
        _pass_over(enrollment, reasons, actor=actor, via=via, now=now, token=token)
        return False
    waited_since = enrollment.waitlisted_at
    if not _move_to_enrolled(enrollment, now, token):
        unlock_term(student=student, term=course.term, token=token)
        return False
    if late := _taken_back_for_a_hold(enrollment, waited_since=waited_since, token=token, now=now):
        _pass_over(enrollment, late, actor=actor, via=via, now=now, token=token)
        return False
    _after_promotion(enrollment, actor, via, "promoted from the waitlist", token)
    return True


def _taken_back_for_a_hold(enrollment: Enrollment, *, waited_since, token: str, now) -> list[Reason]:
    """After a promotion: if a hold was placed meanwhile, the student back in their place in line, and why.

    Nothing is taken back (and nothing returned) when the student dropped
    the seat in the instant since: their drop has already passed it on.
    """
    late = hold_reasons(active_holds_if_any(student=enrollment.student))
    if not late:
        return []
    back = Enrollment.objects.filter(pk=enrollment.pk, status=Status.ENROLLED, lock_token=token).update(
        status=Status.WAITLISTED, waitlisted_at=waited_since, updated_at=now or timezone.now()
    )
    if not back:
        return []
    enrollment.status, enrollment.waitlisted_at = Status.WAITLISTED, waited_since
    return late


def _pass_over(enrollment: Enrollment, reasons: list[Reason], *, actor, via: str, now, token: str) -> None:
    """Keep a student who cannot take the seat in line, with the reason on their enrollment."""
    note = Truncator("Passed over for a free seat: " + " ".join(r.message for r in reasons)).chars(300)
    said_before = enrollment.waitlist_note == note
    noted = Enrollment.objects.filter(pk=enrollment.pk, status=Status.WAITLISTED).update(
        waitlist_note=note, lock_token=token, updated_at=now or timezone.now()
    )
    if not noted:
        unlock_term(student=enrollment.student, term=enrollment.course.term, token=token)
        return
    enrollment.waitlist_note = note
    if not said_before:
        # Said once per reason, not at every seat that comes up.
        _record(enrollment, actor, Status.WAITLISTED, Status.WAITLISTED, via, Truncator(note).chars(200))
        send_passed_over_email(enrollment, reasons)


def _after_promotion(enrollment: Enrollment, actor, via: str, note: str, token: str) -> None:
    Course.objects.filter(pk=enrollment.course.pk).update(waitlist_count=F("waitlist_count") - 1)
    if enrollment.swap_for_id:
        from .swaps import swap_promoted  # swaps builds on this module

        swap_promoted(enrollment, actor=actor, via=via, note=note, token=token)
        return
    _record(enrollment, actor, Status.WAITLISTED, Status.ENROLLED, via, note)
    send_promotion_email(enrollment)


def _record(enrollment: Enrollment, actor, from_status: str, to_status: str, via: str, note: str = "",
            **grades) -> None:
    EnrollmentEvent.objects.create(
        enrollment=enrollment,
        actor=actor if getattr(actor, "pk", None) else None,
        from_status=from_status,
        to_status=to_status,
        via=via,
        note=note,
        **grades,
    )
    logger.info(
        "enrollment %s %s: %s -> %s via %s %s", enrollment.pk, enrollment.course_id, from_status, to_status, via, note
    )
