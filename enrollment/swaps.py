"""Swaps: "enroll me in X instead of Y", without ever holding neither.

A student who holds a seat in Y asks for X in its place, in the same term. X
is weighed as if Y were already dropped (clashes, credits), and every reason
that stands in the way is given at once; a refusal changes nothing.

The state of a swap is recorded on X's enrollment, whose ``swap_for`` names
Y's enrollment:

* X has a free seat: X's enrollment is written first, enrolled and carrying
  ``swap_for=Y``; then Y is dropped (its seat going to Y's waitlist); then
  ``swap_for`` is cleared.
* X is full: X's enrollment joins the waitlist carrying ``swap_for=Y``, a
  waiting swap. It weighs nothing in the student's term until promoted (Y
  still does), so a backup Y that clashes with X can be held while waiting.
  When a seat in X comes up, by whatever promotion (a drop, the admin,
  ``promote_waitlists``), X's term is checked again with Y counted as
  dropped, and the promotion finishes the swap in the same step: X enrolled
  and carrying ``swap_for=Y``, Y dropped, ``swap_for`` cleared. It does so
  even past Y's drop deadline: the student asked while it was open.
* Leaving X's waitlist ends the swap (a drop clears ``swap_for``); Y stays.

The invariant: at every moment the student holds X or Y, or both. Y is
dropped only after X's enrollment is written, never before, so a request that
dies between the steps leaves the student holding both, with ``swap_for``
still set on the enrolled X: a half-done swap, which ``check_db`` reports and
``check_db --fix-swaps`` finishes by the same last steps. The history says
what happened: X's event names the swap, Y's drop says "swapped for X".

Concurrency. A swap runs under the student's registration lock
(enrollment.locks) from reading the term to clearing ``swap_for``: only its
last write carries the lock's token, so no other change of the student's
(another swap, an enrollment, a promotion) starts before it is done. Of two
swaps of Y at once, the second sees Y dropped and is refused. Drops take no
lock (a registrar dropping Y, the student dropping it from another tab), but
dropping Y is one conditional update (``status = enrolled``), so only one of
the swap and the other drop does it, and Y's seat is handed on once; a swap
that finds Y gone only clears ``swap_for``. A staff drop of X while its swap
runs is a deliberate removal and is not undone.
"""

import contextlib
from dataclasses import dataclass

from django.utils import timezone

from catalog.models import Course
from catalog.selectors import course_prerequisites

from .eligibility import Eligibility, Reason, enrollment_eligibility, hold_reasons
from .emails import send_promotion_email
from .locks import unlock_term
from .models import Enrollment, Status, Via
from .selectors import active_holds, active_holds_if_any
from .services import (
    AlreadyEnrolled,
    EnrollmentError,
    NotEligible,
    NotEnrolled,
    _hold,
    _record,
    _release,
    _take_back,
    _take_seat_or_join_waitlist,
    _write_enrollment,
    enrollment_drop,
)


@dataclass
class SwapEligibility(Eligibility):
    """Every reason that stands between a student and X in place of Y; ``replacing`` is their enrollment in Y."""

    replacing: Enrollment | None = None


def swap_eligibility(*, student, course: Course, replacing: Course, enrollments: list[Enrollment], prerequisites=None,
                     holds=None, now=None) -> SwapEligibility:
    """Whether student may take course (X) in place of replacing (Y): the reasons about Y, then X's with Y dropped.

    ``enrollments`` are the student's, with their courses; ``holds`` their
    active ones, when the caller has them.
    """
    now = now or timezone.now()
    held = next((e for e in enrollments if e.course_id == replacing.pk), None)
    reasons = []
    if replacing.pk == course.pk:
        reasons.append(Reason("swap_same_course", f"Choose a course other than {course.code} to give up for it."))
    elif held is None or held.status != Status.ENROLLED:
        reasons.append(Reason("not_enrolled", f"You are not enrolled in {replacing.code}."))
    else:
        if replacing.term_id != course.term_id:
            reasons.append(Reason(
                "swap_other_term",
                f"{replacing.code} is in {replacing.term}, {course.code} in {course.term}: a swap stays in one term.",
            ))
        if held.grade:
            reasons.append(Reason("swap_graded", f"You have a grade in {replacing.code}: it can no longer be dropped."))
        if not replacing.term.is_drop_open(now):
            reasons.append(Reason("drop_deadline_passed", f"The drop deadline for {replacing.term} has passed."))
        pending = next((e for e in enrollments if e.is_active and e.swap_for_id == held.pk), None)
        if pending is not None:
            reasons.append(Reason("swap_pending", (
                f"You have already asked for {pending.course.code} in place of {replacing.code}: leave the "
                f"waitlist for {pending.course.code} first." if pending.is_waiting_swap else
                f"{replacing.code} is being swapped for {pending.course.code} right now: reload in a moment."
            )))
    without_y = [e for e in enrollments if held is None or e.pk != held.pk]
    eligibility = enrollment_eligibility(
        student=student, course=course, enrollments=without_y, prerequisites=prerequisites, holds=holds, now=now
    )
    return SwapEligibility(
        course=course, reasons=reasons + eligibility.reasons, enrollment=eligibility.enrollment, replacing=held
    )


def swap_options(*, student, course: Course, enrollments: list[Enrollment], prerequisites, holds=None, now=None
                 ) -> list[SwapEligibility]:
    """The swaps course's page offers: one for each ungraded course the student holds in its term, with its reasons.

    None when the student already holds or waits for course.
    """
    mine = next((e for e in enrollments if e.course_id == course.pk), None)
    if mine is not None and mine.is_active:
        return []
    held = sorted(
        (e for e in enrollments if e.status == Status.ENROLLED and not e.grade and e.course.term_id == course.term_id),
        key=lambda e: e.course.code,
    )
    if holds is None and held:
        # Read once for every swap offered, not once per course held.
        holds = active_holds(student=student)
    return [
        swap_eligibility(student=student, course=course, replacing=e.course, enrollments=enrollments,
                         prerequisites=prerequisites, holds=holds, now=now)
        for e in held
    ]


def enrollment_swap(*, student, course: Course, replacing: Course, via: str = Via.PAGE, now=None) -> Enrollment:
    """Enroll student in course instead of replacing, or put them on course's waitlist with replacing as the swap.

    Returns the enrollment in course: enrolled, with replacing dropped, or
    waitlisted, with replacing held until the seat comes up.
    """
    now = now or timezone.now()
    prerequisites = course_prerequisites(course)
    holds = active_holds_if_any(student=student)

    def check(enrollments):
        eligibility = swap_eligibility(student=student, course=course, replacing=replacing, enrollments=enrollments,
                                       prerequisites=prerequisites, holds=holds, now=now)
        if not eligibility.can_enroll:
            raise _refused(eligibility.blocking_reasons)
        return eligibility

    token, eligibility = _hold(student, course.term, check)
    held = eligibility.replacing
    try:
        status = _take_seat_or_join_waitlist(course, override_capacity=False)
    except EnrollmentError:
        unlock_term(student=student, term=course.term, token=token)
        raise
    previous = eligibility.enrollment
    # A waiting swap is done once written; one that took its seat still has
    # Y to drop, and keeps the lock until then.
    waiting = status == Status.WAITLISTED
    try:
        enrollment = _write_enrollment(student, course, status, previous, now, token if waiting else "", swap_for=held)
    except AlreadyEnrolled:
        _release(course, status)
        unlock_term(student=student, term=course.term, token=token)
        raise
    previous_status = previous.status if previous else ""
    note = f"swap: replaces {held.course.code} once promoted" if waiting else f"swap: in place of {held.course.code}"
    _record(enrollment, student, previous_status, status, via, note)
    if late := hold_reasons(active_holds_if_any(student=student)):
        # A hold placed while X was written (enrollment.holds): X goes, Y
        # stays, so the student still holds one of them.
        _take_back(enrollment, actor=student, via=via, now=now)
        if not waiting:
            unlock_term(student=student, term=course.term, token=token)
        raise NotEligible(" ".join(reason.message for reason in late), reasons=late)
    if not waiting:
        swap_finish(enrollment=enrollment, replaced=held, token=token, via=via, now=now)
    return enrollment


def swap_promoted(enrollment: Enrollment, *, actor, via: str, note: str, token: str) -> None:
    """Finish a waiting swap whose seat came up (called by the promotion, which has just enrolled X)."""
    replaced = Enrollment.objects.with_course().filter(pk=enrollment.swap_for_id).first()
    code = replaced.course.code if replaced else "a dropped course"
    note = "; ".join(filter(None, [note, f"swap: in place of {code}"]))
    _record(enrollment, actor, Status.WAITLISTED, Status.ENROLLED, via, note)
    swap_finish(enrollment=enrollment, replaced=replaced, token=token, via=via)
    send_promotion_email(enrollment, replaced=replaced)


def swap_finish(*, enrollment: Enrollment, replaced: Enrollment | None, token: str, via: str, now=None,
                note: str = "") -> None:
    """The last steps, once X (enrollment) holds its seat: drop Y (replaced), then mark the swap done.

    Clearing ``swap_for`` carries the registration lock's token: the
    student's next change may start once it is visible.
    """
    now = now or timezone.now()
    if replaced is not None and replaced.is_active:
        # Dropped meanwhile by someone else: X takes its place all the same.
        with contextlib.suppress(NotEnrolled):
            enrollment_drop(enrollment=replaced, actor=enrollment.student, via=via, override_deadline=True, now=now,
                            note=f"swapped for {enrollment.course.code}{note}")
    Enrollment.objects.filter(pk=enrollment.pk).update(swap_for=None, lock_token=token, updated_at=now)
    enrollment.swap_for, enrollment.lock_token = None, token


def swaps_half_done() -> list[Enrollment]:
    """Enrollments that took their seat and still carry their swap: Y may not be dropped yet.

    A swap in progress is one of them for a few milliseconds; one whose
    request died stays one until ``swap_repair``.
    """
    return list(
        Enrollment.objects.filter(status=Status.ENROLLED, swap_for__isnull=False)
        .select_related("student", "course__term", "swap_for__course")
        .order_by("updated_at")
    )


def swap_repair(*, enrollment: Enrollment) -> bool:
    """Finish a half-done swap, under the student's lock: whether this call finished it.

    TryAgain while the lock is held: the swap may still be running, or its
    request died less than LOCK_SECONDS ago.
    """
    student, term = enrollment.student, enrollment.course.term

    def check(enrollments):
        by_pk = {e.pk: e for e in enrollments}
        current = by_pk.get(enrollment.pk)
        if current is None or current.status != Status.ENROLLED or current.swap_for_id is None:
            return None, None
        return current, by_pk.get(current.swap_for_id)

    token, (current, replaced) = _hold(student, term, check)
    if current is None:
        unlock_term(student=student, term=term, token=token)
        return False
    current.student = student
    swap_finish(enrollment=current, replaced=replaced, token=token, via=Via.COMMAND, note=" (finished by check_db)")
    return True


def _refused(reasons: list[Reason]) -> EnrollmentError:
    first = reasons[0].code
    if first.startswith("already_"):
        error_class = AlreadyEnrolled
    elif first == "not_enrolled":
        error_class = NotEnrolled
    else:
        error_class = NotEligible
    return error_class(" ".join(reason.message for reason in reasons), reasons=reasons)
