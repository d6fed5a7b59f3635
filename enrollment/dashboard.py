"""The registrar's term at a glance, for the admin home: eight queries, whatever the size of the school.

Each figure is aggregated by MongoDB, never by loading rows into Python:
the departments by one ``$group`` over the courses' seat counters (the
department is the letters that start a course code: CS of CS101), the
daily curve by one grouping of the enrollment history per day and change,
the students over the credit limit by one grouping of active enrollments
per student, the students with active holds by one distinct count, and the
two course lists by one sorted, limited query each. The term's course ids,
and its enrollments' ids for the history, are read first (indexed keys),
so that no figure joins every enrollment or event of the school's past to
its course before keeping the term's: on MongoDB as on the embedded server
that grew with the years of history (5 s a view on the benchmark's small
school while enrollments changed).
Nothing here writes to the database. TermDashboard also shapes its figures for the page:
the charts (school.charts) and the sentences said in their place.
"""

import dataclasses
import datetime
import math
import time
from collections import Counter
from dataclasses import dataclass, field

from bson import ObjectId
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, FloatField
from django.db.models.functions import Cast, TruncDate
from django.tasks import task
from django.utils import timezone

from catalog.models import Course
from catalog.selectors import TermOption, term_course_ids, term_options
from school.charts import BarChart, LineChart, bar_chart, line_chart

from .models import Enrollment, EnrollmentEvent, Hold, Status
from .selectors import students_over_credit_limit

LONGEST_WAITLISTS = 10
UNDERFILLED_SHOWN = 10
# "Under a quarter full": enrolled * 4 < capacity, in integers.
UNDERFILLED_QUARTERS = 4
COURSE_COLUMNS = ("code", "title", "capacity", "enrolled_count", "waitlist_count")

# Registrars reload the admin home all day, and on registration day every
# enroll changes the figures, so each view would aggregate the term afresh. A
# glance a minute old serves (the lists behind each figure are live), and no
# view works it out itself: the task worker does (refresh_term_dashboard).
# Aggregating a large school's term takes well under a second on MongoDB, but
# over a minute on the embedded server, past what gunicorn lets a request live.
CACHE_SECONDS = 60
# Where the working-out is slow, the figures are kept longer: the dashboard
# never takes more than a tenth of the database's time from the students.
WORK_SHARE = 0.1
# The last figures stay this long to be shown while the worker works out new ones.
STALE_SECONDS = 24 * 3600
# Longer than a working-out ever waits and takes: if the worker died, a later view queues it again.
QUEUED_SECONDS = 600


@dataclass(frozen=True)
class Day:
    """Enrolled and waitlisted at the end of a day, and how many joined each that day."""

    day: datetime.date
    enrolled: int
    waitlisted: int
    new_enrolled: int
    new_waitlisted: int


@dataclass(frozen=True)
class Department:
    code: str
    courses: int
    enrolled: int
    capacity: int
    waitlisted: int
    underfilled: int

    @property
    def fill_rate(self) -> float:
        return self.enrolled / self.capacity if self.capacity else 0.0


@dataclass(frozen=True)
class TermDashboard:
    term: TermOption
    days: list[Day]
    departments: list[Department]
    longest_waitlists: list[Course]
    underfilled: list[Course]
    over_credit_limit: int
    # Holds are on the student, not the term: every student with one.
    with_active_holds: int
    computed_at: datetime.datetime = field(default_factory=timezone.now)
    renewed_every: int = CACHE_SECONDS  # seconds (refresh_term_dashboard sets it)

    @property
    def total(self) -> Department:
        """The whole term, as one department."""
        counts = ("courses", "enrolled", "capacity", "waitlisted", "underfilled")
        return Department("", *(sum(getattr(department, count) for department in self.departments) for count in counts))

    @property
    def renewal(self) -> str:
        minutes = round(self.renewed_every / 60)
        return "every minute" if minutes <= 1 else f"every {minutes} minutes"

    @property
    def enrollment_opened(self) -> bool:
        return self.term.enrollment_opens_at <= timezone.now()

    @property
    def enrollment_closed(self) -> bool:
        return self.term.enrollment_closes_at <= timezone.now()

    # What the page draws, and says in words to those who do not see the drawing.

    @property
    def daily_chart(self) -> LineChart:
        return line_chart(
            [_short_date(day.day) for day in self.days],
            [("Enrolled", "enrolled", [day.enrolled for day in self.days]),
             ("Waitlisted", "waitlisted", [day.waitlisted for day in self.days])],
        )

    @property
    def daily_summary(self) -> str:
        first, last = self.days[0], self.days[-1]
        return (f"From {_short_date(first.day)} to {_short_date(last.day)}: "
                f"{last.enrolled} enrolled and {last.waitlisted} waitlisted at the end.")

    @property
    def fill_chart(self) -> BarChart:
        return bar_chart([
            (department.code, department.fill_rate,
             f"{department.fill_rate:.0%} · {department.enrolled} of {department.capacity}")
            for department in self.departments
        ])

    @property
    def fill_summary(self) -> str:
        fullest = sorted(self.departments, key=lambda department: -department.fill_rate)[:3]
        return "Fullest: " + ", ".join(f"{department.code} {department.fill_rate:.0%}" for department in fullest) + "."


def _short_date(day: datetime.date) -> str:
    return f"{day:%b} {day.day}"


def cache_key(term: TermOption) -> str:
    """The figures' key; ``<key>:queued`` while a working-out is queued, ``<key>:last`` the last figures."""
    return f"enrollment:dashboard:{term.id}:{timezone.localdate()}"


def cached_term_dashboard(*, term: TermOption) -> TermDashboard | None:
    """The term's figures, worked out at most CACHE_SECONDS ago (longer where
    working them out is slow: ``renewed_every``; ``computed_at`` says when),
    or the last ones while the worker works out new ones; None before the
    first ones exist.

    Views that find the figures older queue one working-out between them
    (an atomic ``cache.add``): a crowd of registrars opening the admin home
    at once never aggregates the term more than once, and none waits for it.
    """
    key = cache_key(term)
    dashboard = cache.get(key)
    if dashboard is not None:
        return dashboard
    if cache.add(f"{key}:queued", True, timeout=QUEUED_SECONDS):
        refresh_term_dashboard.enqueue(term.id)
    return cache.get(f"{key}:last")


@task
def refresh_term_dashboard(term_id: str) -> None:
    """Work out a term's figures for the admin home (queued by cached_term_dashboard)."""
    term = next((option for option in term_options() if option.id == term_id), None)
    if term is None:  # deleted since
        return
    key = cache_key(term)
    began = time.monotonic()
    try:
        dashboard = term_dashboard(term=term)
    finally:
        cache.delete(f"{key}:queued")
    fresh = max(CACHE_SECONDS, math.ceil((time.monotonic() - began) / WORK_SHARE))
    dashboard = dataclasses.replace(dashboard, renewed_every=fresh)
    cache.set(key, dashboard, timeout=fresh)
    cache.set(f"{key}:last", dashboard, timeout=STALE_SECONDS)


def term_dashboard(*, term: TermOption, today: datetime.date | None = None) -> TermDashboard:
    courses = Course.objects.filter(term_id=term.id).only(*COURSE_COLUMNS)
    course_ids = term_course_ids(term.id)
    return TermDashboard(
        term=term,
        days=daily_totals(term=term, today=today or timezone.localdate(), course_ids=course_ids),
        departments=department_fill(term=term),
        longest_waitlists=list(courses.filter(waitlist_count__gt=0).order_by("-waitlist_count", "code")[
            :LONGEST_WAITLISTS
        ]),
        underfilled=list(
            courses.filter(capacity__gt=F("enrolled_count") * UNDERFILLED_QUARTERS)
            .annotate(fill=Cast("enrolled_count", FloatField()) / F("capacity"))
            .order_by("fill", "code")[:UNDERFILLED_SHOWN]
        ),
        over_credit_limit=len(students_over_credit_limit(term_id=term.id, course_ids=course_ids)),
        with_active_holds=Hold.objects.active().aggregate(students=Count("student", distinct=True))["students"],
    )


def department_fill(*, term: TermOption) -> list[Department]:
    """Seats and fill per department, alphabetical: one aggregation over the term's courses."""
    pipeline = [
        {"$match": {"term_id": ObjectId(term.id)}},
        {"$group": {
            "_id": {"$getField": {"field": "match", "input": {"$regexFind": {"input": "$code", "regex": "^[A-Z]+"}}}},
            "courses": {"$sum": 1},
            "enrolled": {"$sum": "$enrolled_count"},
            "capacity": {"$sum": "$capacity"},
            "waitlisted": {"$sum": "$waitlist_count"},
            "underfilled": {"$sum": {"$cond": [
                {"$lt": [{"$multiply": ["$enrolled_count", UNDERFILLED_QUARTERS]}, "$capacity"]}, 1, 0,
            ]}},
        }},
        {"$sort": {"_id": 1}},
    ]
    rows = connection.get_collection(Course._meta.db_table).aggregate(pipeline)
    return [
        Department(row["_id"], row["courses"], row["enrolled"], row["capacity"], row["waitlisted"], row["underfilled"])
        for row in rows
    ]


def daily_totals(*, term: TermOption, today: datetime.date, course_ids: list) -> list[Day]:
    """Every day from enrollment's opening to today (or its closing): one grouping of the term's history.

    Each change moves one enrollment from one status to another, so the
    totals at the end of a day are the changes up to it added up; changes
    made before the window opened (by staff) count on its first day.
    """
    first = timezone.localdate(term.enrollment_opens_at)
    last = min(today, timezone.localdate(term.enrollment_closes_at))
    if last < first:
        return []
    # By the ids of the term's enrollments (two indexed reads): a filter on
    # enrollment__course__term joins every event of the school's history first.
    enrollments = Enrollment.objects.filter(course_id__in=course_ids).values_list("pk", flat=True)
    changes = (
        EnrollmentEvent.objects.filter(enrollment_id__in=list(enrollments))
        .annotate(day=TruncDate("created_at"))
        .values("day", "from_status", "to_status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    joined, net = Counter(), Counter()
    for change in changes:
        day = max(change["day"], first)
        joined[day, change["to_status"]] += change["count"]
        net[day, change["to_status"]] += change["count"]
        net[day, change["from_status"]] -= change["count"]
    days, enrolled, waitlisted = [], 0, 0
    for offset in range((last - first).days + 1):
        day = first + datetime.timedelta(days=offset)
        enrolled += net[day, Status.ENROLLED]
        waitlisted += net[day, Status.WAITLISTED]
        days.append(Day(day, enrolled, waitlisted, joined[day, Status.ENROLLED], joined[day, Status.WAITLISTED]))
    return days
