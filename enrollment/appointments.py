"""Registration appointments: the time a student may start registering for a term, by earned credits.

A term may define groups (AppointmentGroup): students with at least 90
earned credits from Nov 1 09:00, at least 60 from Nov 2, everyone (0) from
Nov 3. A student belongs to the group with the highest minimum they reach;
one below every minimum waits for the last group to open. Earned credits are
the credits of passed, graded courses: the same grades that complete a
prerequisite.

An appointment is a rule about time, decided by eligibility from what the
caller already read: the student's enrollments (their earned credits) and
the term's groups, which every course page and enrollment asks for, so they
are kept in the shared cache under a version that any change to a group or
a term replaces (enrollment.apps), as the catalog keeps prerequisites.
"""

import datetime
import uuid
from collections import Counter
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from catalog.models import Term

from .grades import PASSING_GRADES
from .models import AppointmentGroup, Enrollment

VERSION_KEY = "enrollment:appointments:version"
# "Tue 2 Nov 09:00": the day a student plans around, in the school's time zone.
OPENING_FORMAT = "D j M H:i"


@dataclass(frozen=True)
class Appointment:
    """When one student may start registering for a term, and the group that says so (None without groups)."""

    term: Term
    opens_at: datetime.datetime
    group: AppointmentGroup | None

    @property
    def is_the_terms_opening(self) -> bool:
        return self.opens_at <= self.term.enrollment_opens_at

    @property
    def message(self) -> str:
        """"Your registration for Spring 2027 opens Tue 2 Nov 09:00 (students with 60 or more earned credits)."."""
        opens = date_format(timezone.localtime(self.opens_at), OPENING_FORMAT)
        credits = self.group.min_credits if self.group else 0
        who = f" (students with {credits} or more earned credits)" if credits else ""
        return f"Your registration for {self.term} opens {opens}{who}."


def earned_credits(enrollments) -> int:
    """Credits of the passed, graded courses among enrollments (with their courses)."""
    return sum(e.course.credits for e in enrollments if e.grade in PASSING_GRADES)


def student_earned_credits(*, student) -> int:
    """earned_credits, read from the database: one query."""
    return sum(Enrollment.objects.filter(student=student, grade__in=PASSING_GRADES)
               .values_list("course__credits", flat=True))


def open_appointment_groups() -> list[AppointmentGroup]:
    """The groups of every term whose enrollment had not closed when they were read, with their terms.

    From the shared cache: a group's or a term's change replaces the version.
    """
    version = cache.get_or_set(VERSION_KEY, _new_version, timeout=None)
    key = f"enrollment:appointments:{version}"
    groups = cache.get(key)
    if groups is None:
        groups = list(
            AppointmentGroup.objects.filter(term__enrollment_closes_at__gt=timezone.now())
            .select_related("term").order_by("term__enrollment_opens_at", "-min_credits")
        )
        cache.set(key, groups, timeout=3600)
    return groups


def term_appointment_groups(term) -> list[AppointmentGroup]:
    """A term's groups, most credits first (none once its enrollment has closed)."""
    return [group for group in open_appointment_groups() if group.term_id == term.pk]


def forget_appointments(**kwargs) -> None:
    cache.set(VERSION_KEY, _new_version(), timeout=None)


def _new_version() -> str:
    return uuid.uuid4().hex


def group_for(groups: list[AppointmentGroup], earned: int) -> AppointmentGroup | None:
    """The group of a student with earned credits: the highest minimum they reach, else the last to open."""
    if not groups:
        return None
    reached = [group for group in groups if group.min_credits <= earned]
    if reached:
        return max(reached, key=lambda group: group.min_credits)
    return max(groups, key=lambda group: group.opens_at)


def appointment(*, term, groups: list[AppointmentGroup], earned: int) -> Appointment:
    """When a student with earned credits may start registering for term: their group's time, never before
    the term's enrollment opens."""
    group = group_for(groups, earned)
    opens = max(group.opens_at, term.enrollment_opens_at) if group else term.enrollment_opens_at
    return Appointment(term=term, opens_at=opens, group=group)


def student_upcoming_appointments(*, student, now=None) -> list[Appointment]:
    """The student's registration openings still ahead, soonest first, for the home page.

    Costs no query when no term has groups (the usual case), else one for the earned credits.
    """
    now = now or timezone.now()
    by_term: dict = {}
    for group in open_appointment_groups():
        if group.term.enrollment_closes_at > now:
            by_term.setdefault(group.term_id, []).append(group)
    if not by_term:
        return []
    earned = student_earned_credits(student=student)
    openings = [appointment(term=groups[0].term, groups=groups, earned=earned) for groups in by_term.values()]
    return sorted((opening for opening in openings if opening.opens_at > now), key=lambda opening: opening.opens_at)


def students_per_group(term) -> list[tuple[AppointmentGroup, int]]:
    """How many students (active, not staff) fall in each of term's groups, most credits first: three queries.

    The earned credits are summed per student by the database, one row per
    student with any; everyone else has none.
    """
    groups = list(AppointmentGroup.objects.filter(term=term).order_by("-min_credits"))
    if not groups:
        return []
    earning = (
        Enrollment.objects.filter(grade__in=PASSING_GRADES, student__is_staff=False, student__is_active=True)
        .values("student").annotate(earned=Sum("course__credits")).values_list("earned", flat=True)
    )
    counts = Counter(group_for(groups, earned).pk for earned in earning)
    students = User.objects.filter(is_staff=False, is_active=True).count()
    counts[group_for(groups, 0).pk] += students - sum(counts.values())
    return [(group, counts[group.pk]) for group in groups]
