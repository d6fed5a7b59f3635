"""Reads that pages, the API and commands share; each is a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from catalog.models import Term, course_url
from catalog.selectors import term_course_ids

from .grades import grade_point_average
from .models import Enrollment, Hold, Status
from .status import leave_option
from .timetable import Week, term_week


def student_enrollments(*, student) -> list[Enrollment]:
    """All of a student's enrollments with course and term: one query."""
    return list(Enrollment.objects.filter(student=student).with_course())


def active_holds(*, student) -> list[Hold]:
    """The student's holds that stop registering, with their kinds: one query."""
    return list(Hold.objects.active().filter(student=student).select_related("kind").order_by("placed_at"))


def waitlist_positions(enrollments: list[Enrollment]) -> dict:
    """{enrollment id: 1-based place in its course's waitlist}: one query at most."""
    waiting = [e for e in enrollments if e.status == Status.WAITLISTED]
    if not waiting:
        return {}
    queue = defaultdict(list)
    rows = (
        Enrollment.objects.filter(course_id__in=[e.course_id for e in waiting])
        .in_waitlist_order()
        .values_list("course_id", "id")
    )
    for course_id, enrollment_id in rows:
        queue[course_id].append(enrollment_id)
    return {e.pk: queue[e.course_id].index(e.pk) + 1 for e in waiting if e.pk in queue[e.course_id]}


@dataclass
class TermGroup:
    term: Term
    enrollments: list[Enrollment] = field(default_factory=list)

    @property
    def enrolled_credits(self) -> int:
        return sum(e.course.credits for e in self.enrollments if e.status == Status.ENROLLED)

    @property
    def gpa(self) -> Decimal | None:
        return grade_point_average([(e.grade, e.course.credits) for e in self.enrollments if e.grade])

    @cached_property
    def week(self) -> Week | None:
        """The term's timetable, until the term is over."""
        if self.term.ends_on < timezone.localdate():
            return None
        return term_week(self.enrollments)


@dataclass
class Transcript:
    terms: list[TermGroup]

    @property
    def gpa(self) -> Decimal | None:
        graded = [(e.grade, e.course.credits) for group in self.terms for e in group.enrollments if e.grade]
        return grade_point_average(graded)


# What My enrollments shows of each enrollment, its course and its term: a
# student with years of history reads and builds nothing more.
TRANSCRIPT_FIELDS = (
    "status", "grade", "waitlisted_at", "waitlist_note", "student_id", "course_id", "swap_for_id",
    "course__code", "course__title", "course__credits", "course__meeting_days", "course__starts_at",
    "course__ends_at", "course__term_id", "course__term__name", "course__term__slug", "course__term__starts_on",
    "course__term__ends_on", "course__term__drop_deadline", "course__term__withdraw_deadline",
)

# The form that does each way of leaving (enrollment.status.leave_option).
LEAVE_URL_NAMES = {
    "drop": "enrollment:course_drop",
    "leave_waitlist": "enrollment:course_drop",
    "withdraw": "enrollment:course_withdraw",
}


def student_transcript(*, student) -> Transcript:
    """A student's enrollments grouped by term, newest term first: two queries at most.

    Each enrollment comes with what its row shows, worked out once here
    (``course_url``, ``schedule``, ``status_label``, ``leave_option`` and the
    address of the form that does it, ``leave_url``): a template computes them
    far more slowly, and a long history has dozens of rows. A waiting swap
    knows the enrollment it replaces (``replaces``).
    """
    enrollments = list(Enrollment.objects.filter(student=student).with_course().only(*TRANSCRIPT_FIELDS))
    positions = waitlist_positions(enrollments)
    by_pk = {e.pk: e for e in enrollments}
    now = timezone.now()
    groups: dict = {}
    for enrollment in sorted(enrollments, key=lambda e: (e.course.term.starts_on, e.course.code)):
        course = enrollment.course
        enrollment.waitlist_position = positions.get(enrollment.pk)
        enrollment.replaces = by_pk.get(enrollment.swap_for_id) if enrollment.is_waiting_swap else None
        enrollment.course_url = course_url(course.code)
        enrollment.schedule = course.schedule_display
        enrollment.status_label = enrollment.get_status_display()
        enrollment.leave_option = leave_option(enrollment, now)
        url_name = LEAVE_URL_NAMES.get(enrollment.leave_option)
        enrollment.leave_url = course_url(course.code, url_name) if url_name else ""
        groups.setdefault(course.term.pk, TermGroup(term=course.term)).enrollments.append(enrollment)
    ordered = sorted(groups.values(), key=lambda group: group.term.starts_on, reverse=True)
    return Transcript(terms=ordered)



@dataclass
class TermSummary:
    term: Term
    enrolled: list[Enrollment]
    waitlisted: list[Enrollment]

    @property
    def credits(self) -> int:
        return sum(e.course.credits for e in self.enrolled)


def student_term_summary(*, student) -> TermSummary | None:
    """The student's current (or next) term at a glance, for the home page."""
    term = Term.objects.current_or_next().first()
    if term is None:
        return None
    enrollments = list(
        Enrollment.objects.filter(student=student, course__term=term).active().select_related("course")
    )
    return TermSummary(
        term=term,
        enrolled=[e for e in enrollments if e.status == Status.ENROLLED],
        waitlisted=[e for e in enrollments if e.status == Status.WAITLISTED],
    )


def students_over_credit_limit(*, term_id, course_ids: list | None = None) -> list:
    """Ids of the students whose enrolled and waitlisted credits in a term exceed the limit.

    Two queries, or one when given the term's ``course_ids``. The rules keep
    students under it; staff overrides and a course's credits changed after
    enrollment can take them over. The enrollments are matched by their
    course among the term's (``term_course_ids`` says why).
    """
    return list(
        Enrollment.objects.active()
        .filter(course_id__in=term_course_ids(term_id) if course_ids is None else course_ids)
        .values("student")
        .annotate(credits=Sum("course__credits"))
        .filter(credits__gt=settings.REGISTRAR_CREDIT_LIMIT)
        .values_list("student", flat=True)
    )
