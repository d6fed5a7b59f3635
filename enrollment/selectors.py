"""Reads that pages, the API and commands share; each is a fixed number of queries."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from catalog.models import Course, Term, course_url
from catalog.selectors import term_course_ids, terms_by_id

from .grades import grade_point_average
from .models import Enrollment, Hold, Status
from .status import leave_option_of
from .timetable import Week, term_week


def student_enrollments(*, student) -> list[Enrollment]:
    """All of a student's enrollments with course and term: one query."""
    return list(Enrollment.objects.filter(student=student).with_course())


def active_holds(*, student) -> list[Hold]:
    """The student's holds that stop registering, with their kinds: one query."""
    return list(Hold.objects.active().filter(student=student).select_related("kind").order_by("placed_at"))


def active_holds_if_any(*, student) -> list[Hold]:
    """active_holds for the changes that read them before and after their writes (enrollment.services,
    enrollment.swaps).

    Most students have no hold: asking whether one exists, without the kinds'
    join and the sort, saves about a tenth of the Django work of an enroll
    (bench/instructions.py counts it); a held student costs one query more.
    """
    if not Hold.objects.active().filter(student=student).exists():
        return []
    return active_holds(student=student)


def waitlist_positions(enrollments: list) -> dict:
    """{enrollment id: 1-based place in its course's waitlist}: one query at most.

    Of enrollments, or of rows with their ``pk``, ``status`` and ``course_id``.
    """
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
    """A term of a student's transcript: its rows of values (``TRANSCRIPT_FIELDS``), and its enrollments built
    from them only when asked for (a term whose block comes from the cache needs none)."""

    term: Term
    rows: list = field(default_factory=list)
    waitlist_positions: dict = field(default_factory=dict)
    now: datetime.datetime = field(default_factory=timezone.now)
    # The term's block of My enrollments, when it comes rendered from the cache (enrollment.transcript_cache).
    html: str = ""

    @property
    def enrolled_credits(self) -> int:
        return sum(row.course__credits for row in self.rows if row.status == Status.ENROLLED)

    @property
    def gpa(self) -> Decimal | None:
        return grade_point_average([(row.grade, row.course__credits) for row in self.rows if row.grade])

    @cached_property
    def leave_options(self) -> list[str]:
        """Each row's ``leave_option``, in the order of the rows."""
        return [leave_option_of(row.status, row.grade, self.term, self.now) for row in self.rows]

    @property
    def is_settled(self) -> bool:
        """Over (no timetable any more), and no row that the student can leave with a form: its block shows
        no button, so no CSRF token, and of what changes with time only the leave options, which
        enrollment.transcript_cache fingerprints."""
        return self.term.ends_on < timezone.localdate(self.now) and not any(
            option in LEAVE_URL_NAMES for option in self.leave_options
        )

    @cached_property
    def enrollments(self) -> list[Enrollment]:
        """The term's enrollments with what each row shows worked out here (see ``student_transcript``)."""
        enrollments = []
        for row, option in zip(self.rows, self.leave_options, strict=True):
            # Built from the row for the page to read: never saved.
            course = Course(
                id=row.course_id, code=row.course__code, title=row.course__title, credits=row.course__credits,
                meeting_days=row.course__meeting_days, starts_at=row.course__starts_at, ends_at=row.course__ends_at,
                term=self.term,
            )
            enrollment = Enrollment(
                id=row.pk, status=row.status, grade=row.grade, waitlist_note=row.waitlist_note,
                swap_for_id=row.swap_for_id, course=course,
            )
            enrollment.waitlist_position = self.waitlist_positions.get(enrollment.pk)
            enrollment.course_url = course_url(course.code)
            enrollment.schedule = course.schedule_display
            enrollment.status_label = enrollment.get_status_display()
            enrollment.leave_option = option
            url_name = LEAVE_URL_NAMES.get(option)
            enrollment.leave_url = course_url(course.code, url_name) if url_name else ""
            enrollments.append(enrollment)
        # A swap stays within its term (enrollment.swaps).
        by_pk = {e.pk: e for e in enrollments}
        for enrollment in enrollments:
            enrollment.replaces = by_pk.get(enrollment.swap_for_id) if enrollment.is_waiting_swap else None
        return enrollments

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
        graded = [(row.grade, row.course__credits) for group in self.terms for row in group.rows if row.grade]
        return grade_point_average(graded)


# What My enrollments shows of each enrollment and its course, read as rows of
# values: a student with years of history reads and builds nothing more, and no
# model instance for the terms that come rendered from the cache. The terms come
# from the list every process keeps (catalog.selectors.terms), not joined to
# each row.
TRANSCRIPT_FIELDS = (
    "pk", "status", "grade", "waitlist_note", "swap_for_id", "course_id",
    "course__code", "course__title", "course__credits", "course__meeting_days", "course__starts_at",
    "course__ends_at", "course__term_id",
)

# The form that does each way of leaving (enrollment.status.leave_option).
LEAVE_URL_NAMES = {
    "drop": "enrollment:course_drop",
    "leave_waitlist": "enrollment:course_drop",
    "withdraw": "enrollment:course_withdraw",
}


def student_transcript(*, student) -> Transcript:
    """A student's enrollments grouped by term, newest term first: two queries at most (and the
    term list, once per process and change of a term).

    Each term's enrollments come with what their rows show, worked out once
    there (``course_url``, ``schedule``, ``status_label``, ``leave_option``
    and the address of the form that does it, ``leave_url``): a template
    computes them far more slowly, and a long history has dozens of rows. A
    waiting swap knows the enrollment it replaces (``replaces``).
    """
    rows = list(Enrollment.objects.filter(student=student).values_list(*TRANSCRIPT_FIELDS, named=True))
    terms = terms_by_id({row.course__term_id for row in rows})
    # As a join would, leave out a row whose term is gone.
    rows = [row for row in rows if row.course__term_id in terms]
    positions = waitlist_positions(rows)
    now = timezone.now()
    groups: dict = {}
    for row in sorted(rows, key=lambda row: (terms[row.course__term_id].starts_on, row.course__code)):
        group = groups.get(row.course__term_id)
        if group is None:
            group = groups[row.course__term_id] = TermGroup(
                term=terms[row.course__term_id], waitlist_positions=positions, now=now,
            )
        group.rows.append(row)
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
