"""Why a student may not enroll in a course: every reason, not only the first."""

from dataclasses import dataclass, field, replace

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from catalog.selectors import course_prerequisites

from .appointments import Appointment, appointment, earned_credits, term_appointment_groups
from .grades import PASSING_GRADES
from .models import Enrollment, Permit, Status
from .permits import live_permit, permit_label
from .selectors import active_holds
from .waivers import waived_reason_codes


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    # A reason that does not block still deserves to be said (e.g. "full:
    # you would join the waitlist").
    blocking: bool = True
    # Who lets the student past it, and until when: a permit's issuer and last day.
    waived_by: str = ""


@dataclass
class Eligibility:
    course: object
    reasons: list[Reason] = field(default_factory=list)
    enrollment: Enrollment | None = None
    # The permit that lifts one of the reasons: enrolling uses it up.
    permit: Permit | None = None

    @property
    def blocking_reasons(self) -> list[Reason]:
        return [reason for reason in self.reasons if reason.blocking]

    @property
    def can_enroll(self) -> bool:
        return not self.blocking_reasons

    @property
    def will_waitlist(self) -> bool:
        return any(reason.code == "course_full" and not reason.waived_by for reason in self.reasons)

    @property
    def waives_capacity(self) -> bool:
        """A permit gives the student a seat beyond capacity (ahead of any waitlist)."""
        return any(reason.code == "course_full" and reason.waived_by for reason in self.reasons)


def enrollment_eligibility(
    *, student, course, enrollments=None, prerequisites=None, holds=None, appointment_groups=None, now=None
) -> Eligibility:
    """Every reason that stands between student and a seat in course, and those the student's permit lifts.

    ``enrollments`` (the student's enrollments with their courses),
    ``prerequisites`` (the course's), ``holds`` (the student's active ones)
    and ``appointment_groups`` (the term's) may be passed by a caller that
    already has them, so a page asks the database for each only once. The
    permit costs a query only on a course that may have a valid one
    (enrollment.permits).
    """
    now = now or timezone.now()
    if enrollments is None:
        enrollments = list(Enrollment.objects.filter(student=student).with_course())
    if prerequisites is None:
        prerequisites = course_prerequisites(course)
    if holds is None:
        holds = active_holds(student=student)
    if appointment_groups is None:
        appointment_groups = term_appointment_groups(course.term)
    mine = next((e for e in enrollments if e.course_id == course.pk), None)
    result = Eligibility(course=course, enrollment=mine)
    add = result.reasons.append
    term = course.term

    if mine is not None and mine.status == Status.ENROLLED:
        add(Reason("already_enrolled", f"You are already enrolled in {course.code}."))
    elif mine is not None and mine.status == Status.WAITLISTED:
        add(Reason("already_waitlisted", f"You are already on the waitlist for {course.code}."))
    elif mine is not None and mine.status == Status.WITHDRAWN:
        add(Reason(
            "already_withdrawn",
            f"You withdrew from {course.code}: to take it again this term, ask {settings.REGISTRAR_OFFICE}.",
        ))
    elif mine is not None and mine.grade in PASSING_GRADES:
        add(Reason("already_completed", f"You have already completed {course.code}."))

    result.reasons.extend(hold_reasons(holds))

    if now >= term.enrollment_closes_at:
        add(Reason("enrollment_closed", f"Enrollment for {term} is closed."))
    elif reason := opening_reason(appointment(term=term, groups=appointment_groups,
                                              earned=earned_credits(enrollments)), now):
        add(reason)

    # Any offering of the prerequisite counts (CS101 in any term, or CS101-SP).
    passed = {e.course.subject_code for e in enrollments if e.grade in PASSING_GRADES}
    for prerequisite in prerequisites:
        if prerequisite.subject_code not in passed:
            add(Reason(
                "prerequisite_missing",
                f"{course.code} requires {prerequisite.code} ({prerequisite.title}) with a passing grade.",
            ))

    result.reasons.extend(term_load_reasons(course=course, enrollments=enrollments))

    if (mine is None or not mine.is_active) and (course.is_full or course.waitlist_count):
        add(Reason(
            "course_full",
            f"{course.code} is full: you would join the waitlist behind {course.waitlist_count} "
            f"student{'s' if course.waitlist_count != 1 else ''}.",
            blocking=False,
        ))
    if (mine is None or not mine.is_active) and (permit := live_permit(student=student, course=course, now=now)):
        _apply_permit(result, permit)
    return result


def _apply_permit(result: Eligibility, permit: Permit) -> None:
    """Turn the reasons the permit waives into notes that say so; the permit is then the one to use."""
    waived = waived_reason_codes(permit.waives)
    label = permit_label(permit)
    reasons = []
    for reason in result.reasons:
        if reason.code in waived:
            reason = replace(reason, blocking=False, waived_by=label,
                             message=f"{reason.message} Waived by permit ({label}).")
            result.permit = permit
        reasons.append(reason)
    result.reasons = reasons


def hold_reasons(holds) -> list[Reason]:
    """One reason per active hold, naming the office that lifts it."""
    return [
        Reason("hold", f"{hold.kind.name} hold: {hold.reason.rstrip('.')}. "
                       f"Contact {hold.kind.office} to have it lifted.")
        for hold in holds
    ]


def opening_reason(opening: Appointment, now) -> Reason | None:
    """Why the student must wait for their registration to open, if they must."""
    if now >= opening.opens_at:
        return None
    if opening.is_the_terms_opening:
        opens = date_format(timezone.localtime(opening.opens_at), "DATETIME_FORMAT")
        return Reason("enrollment_not_open", f"Enrollment for {opening.term} opens on {opens}.")
    return Reason("registration_appointment", opening.message)


def term_load_reasons(*, course, enrollments) -> list[Reason]:
    """The rules that weigh a student's whole term: clashes with their other
    active courses in it, and the credit limit with course added.

    Checked again when a waitlisted student's seat comes up (their term may
    have changed since they joined), so ``course`` itself is never counted twice.
    A waiting swap (enrollment.swaps) weighs nothing until it is promoted, and
    the course it replaces is counted as dropped when its own seat comes up.
    """
    term = course.term
    mine = next((e for e in enrollments if e.course_id == course.pk), None)
    replaced = mine.swap_for_id if mine is not None and mine.is_waiting_swap else None
    others = [
        e for e in enrollments
        if e.is_active and not e.is_waiting_swap and e.pk != replaced and e.course_id != course.pk
        and e.course.term_id == term.pk
    ]
    reasons = [
        Reason(
            "schedule_conflict",
            f"{course.code} clashes with {other.course.code} {other.course.title} ({other.course.schedule_display}).",
        )
        for other in others
        if course.clashes_with(other.course)
    ]
    limit = settings.REGISTRAR_CREDIT_LIMIT
    credits = sum(e.course.credits for e in others) + course.credits
    if credits > limit:
        reasons.append(Reason(
            "credit_limit",
            f"Enrolling would bring your {term} credits to {credits}, above the limit of {limit}.",
        ))
    return reasons

