"""The benchmark's school at a given scale, seeded fast: python bench/school.py '{"scale": "large"}'.

Runs in the benchmark's production environment after ``migrate``. Rows are
built as model instances and written with the ORM's ``bulk_create`` in big
batches, so every document has exactly the shape Django gives it; the
secondary indexes of the bulk-loaded collections are dropped first and
built again at the end from their own ``listIndexes`` specifications (one
index build instead of one entry per index per row). Prints JSON: what the
benchmark needs to find its students and courses.

The same recipe (``RECIPE_VERSION``, the scale, this file and the
migrations) gives the same data; ``bench/run.py`` keeps the seeded file in
``bench/.data/`` under the recipe's hash and reuses it.
"""

import datetime
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from catalog.models import Course, Term  # noqa: E402
from enrollment.models import Enrollment, EnrollmentEvent, Status, Via  # noqa: E402

RECIPE_VERSION = 1
SCALES = {
    # Today's school, as the README's earlier figures measured it.
    "small": {"students": 2_000, "courses": 200},
    # A real school: ~137,000 enrollments over four terms of history.
    "large": {"students": 20_000, "courses": 2_000},
}
DEPARTMENTS = ["CS", "MATH", "PHYS", "CHEM", "BIO", "HIST", "ENGL", "ECON", "PSYC", "ART"]
# Twelve older terms hold the long-standing student's history only; the
# school's students have four terms of history and the current term.
OLD_TERMS = 12
HISTORY_TERMS = 4
COURSES_PER_OLD_TERM = 4
GRADES = ["A", "A", "A-", "B+", "B", "B", "B-", "C+", "C", "C-", "D", "F", "P"]
MEETINGS = [("MWF", 50), ("TR", 75), ("MW", 75)]
START_HOURS = [8, 9, 10, 11, 13, 14, 15, 16]
# Courses of the current term that the write stream enrolls in and drops:
# large enough never to fill, so a drop promotes nobody, and without a
# prerequisite, so no enroll is refused (a pass of refusals cost the database
# a tenth of the others, and the stream's cost dipped every 30 s).
STREAM_COURSES = 20
STREAM_STUDENTS = 60
BATCH = 5_000
PASSWORD = "bench-student"


def seed(scale: str) -> dict:
    size = SCALES[scale]
    rng = random.Random(RECIPE_VERSION)
    bulk_loaded = [User, Course, Course.prerequisites.through, Enrollment, EnrollmentEvent]
    indexes = {model: drop_secondary_indexes(model) for model in bulk_loaded}

    terms = make_terms()
    old, history, current = terms[:OLD_TERMS], terms[OLD_TERMS:-1], terms[-1]
    courses = plan_courses(rng, size["courses"], old, history, current)
    students, named = make_students(size["students"])

    rows = []
    for student in students[: -STREAM_STUDENTS - 2]:
        for term in history:
            for course in rng.sample(courses[term.pk], rng.choice([1, 1, 2, 2])):
                rows.append(graded(rng, student, course))
        for course in rng.sample(courses[current.pk][STREAM_COURSES:], rng.choice([0, 1, 1, 1, 1, 1, 1])):
            rows.append(Enrollment(student=student, course=course, status=Status.ENROLLED))
    named_rows = []
    long_history = named["long"]
    for term in [*old, *history]:
        named_rows.extend(graded(rng, long_history, course) for course in rng.sample(courses[term.pk], 4))
    named_rows.append(Enrollment(student=long_history, course=courses[current.pk][STREAM_COURSES],
                                 status=Status.ENROLLED))
    short_history = named["short"]
    named_rows.extend(graded(rng, short_history, course) for course in rng.sample(courses[history[-1].pk], 2))
    named_rows.extend(graded(rng, short_history, course) for course in rng.sample(courses[history[-2].pk], 2))
    named_rows.append(Enrollment(student=short_history, course=courses[current.pk][STREAM_COURSES + 1],
                                 status=Status.ENROLLED))
    # The two students whose pages are compared hold their seat, at both scales: counted after the
    # school's, either could find their course full and wait (the long one did at the large school
    # only, so its page there read a waitlist that the short one's did not).
    rows = [*named_rows, *rows]
    count_seats(rows, current)

    save_courses(courses, history, current)
    Enrollment.objects.bulk_create(rows, batch_size=BATCH)
    EnrollmentEvent.objects.bulk_create(
        (EnrollmentEvent(enrollment=row, to_status=row.status, via=Via.COMMAND, note="bench data") for row in rows),
        batch_size=BATCH,
    )
    for model, specifications in indexes.items():
        restore_indexes(model, specifications)
    return {
        "scale": scale, **size, "terms": len(terms), "enrollments": len(rows),
        "current_term": current.slug,
        "stream_courses": [c.code for c in courses[current.pk][:STREAM_COURSES]],
        "other_courses": [c.code for c in courses[current.pk][STREAM_COURSES + 2 : STREAM_COURSES + 202]],
        "course_with_prerequisite": courses[current.pk][STREAM_COURSES + 5].code,
        "students": {name: user.email for name, user in named.items()},
        "stream_students": [user.email for user in students[-STREAM_STUDENTS - 2 : -2]],
    }


def collection(model):
    return connection.database[model._meta.db_table]


def drop_secondary_indexes(model) -> list[dict]:
    """Drop every index but ``_id`` and return their specifications, to build them again."""
    specifications = [dict(spec) for spec in collection(model).list_indexes() if spec["name"] != "_id_"]
    collection(model).drop_indexes()
    return specifications


def restore_indexes(model, specifications: list[dict]) -> None:
    for spec in specifications:
        spec.pop("v", None)
        spec.pop("ns", None)
    if specifications:
        connection.database.command({"createIndexes": model._meta.db_table, "indexes": specifications})


def make_terms() -> list[Term]:
    """Seventeen terms of about four months, oldest first; the last is open for enrollment today."""
    today = timezone.localdate()
    now = timezone.now()
    terms = []
    for back in range(OLD_TERMS + HISTORY_TERMS, -1, -1):
        starts = today - datetime.timedelta(days=10 + 122 * back)
        name = f"Term {starts:%Y-%m} ({OLD_TERMS + HISTORY_TERMS - back + 1})"
        opens = now - datetime.timedelta(days=40 + 122 * back)
        terms.append(Term(
            name=name, slug=f"term-{starts:%Y-%m}", starts_on=starts, ends_on=starts + datetime.timedelta(days=110),
            enrollment_opens_at=opens, enrollment_closes_at=opens + datetime.timedelta(days=60),
            drop_deadline=opens + datetime.timedelta(days=70), withdraw_deadline=opens + datetime.timedelta(days=100),
        ))
    for term in terms:
        term.grades_due_at = term.default_grades_due_at()  # what Term.save() fills in; bulk_create calls no save()
    Term.objects.bulk_create(terms)
    return terms


def plan_courses(rng, total: int, old: list[Term], history: list[Term], current: Term) -> dict:
    """{term id: [Course]} (not saved yet): four in each old term, the rest shared by the recent terms."""
    recent = [*history, current]
    per_recent = (total - COURSES_PER_OLD_TERM * len(old)) // len(recent)
    plan = [(term, COURSES_PER_OLD_TERM) for term in old] + [(term, per_recent) for term in recent]
    numbers = dict.fromkeys(DEPARTMENTS, 1000)
    courses = {}
    for term, count in plan:
        courses[term.pk] = []
        for n in range(count):
            department = DEPARTMENTS[n % len(DEPARTMENTS)]
            numbers[department] += 1
            days, minutes = rng.choice(MEETINGS)
            start = datetime.time(rng.choice(START_HOURS))
            end = (datetime.datetime.combine(datetime.date.min, start) + datetime.timedelta(minutes=minutes)).time()
            stream = term is current and n < STREAM_COURSES
            courses[term.pk].append(Course(
                code=f"{department}{numbers[department]}", title=f"{department} course {numbers[department]}",
                term=term, credits=rng.choice([2, 3, 3, 3, 4, 4]), instructor=f"Dr. {rng.choice(DEPARTMENTS)}",
                capacity=100_000 if stream else rng.choice([30, 40, 60, 80]),
                description="Lectures, weekly problem sets and a final project.",
                meeting_days=days, starts_at=start, ends_at=end,
            ))
    return courses


def save_courses(courses: dict, history: list[Term], current: Term) -> None:
    """Write the courses, their counters set, and make every fifth current course past the write
    stream's require a recent one."""
    Course.objects.bulk_create([c for term_courses in courses.values() for c in term_courses], batch_size=BATCH)
    through = Course.prerequisites.through
    through.objects.bulk_create(
        (through(from_course_id=course.pk, to_course_id=courses[history[-1].pk][n].pk)
         for n, course in enumerate(courses[current.pk]) if n % 5 == 0 and n >= STREAM_COURSES),
        batch_size=BATCH,
    )


def make_students(count: int) -> tuple[list[User], dict]:
    """The school's students (the stream's and two named ones last), a registrar and the named students."""
    password = make_password(PASSWORD)
    registrar = User(email="registrar@bench.example.edu", student_number=1, password=password, is_staff=True,
                     is_superuser=True, first_name="Rita", last_name="Registrar")
    students = [
        User(email=f"student{n}@bench.example.edu", student_number=n + 1, password=password,
             first_name=f"First{n % 997}", last_name=f"Last{n % 1009}")
        for n in range(1, count + 1)
    ]
    students[-2].email, students[-1].email = "short@bench.example.edu", "long@bench.example.edu"
    User.objects.bulk_create([registrar, *students], batch_size=BATCH)
    return students, {"registrar": registrar, "short": students[-2], "long": students[-1]}


def graded(rng, student, course) -> Enrollment:
    return Enrollment(student=student, course=course, status=Status.ENROLLED, grade=rng.choice(GRADES))


def count_seats(rows: list[Enrollment], current: Term) -> None:
    """Seats of the current term in arrival order (who comes after a course is full waits, in order),
    and every course's counters as ``check_db`` counts them."""
    taken = {}
    now = timezone.now()
    for index, row in enumerate(rows):
        course = row.course
        if course.term_id == current.pk:
            taken[id(course)] = taken.get(id(course), 0) + 1
            if taken[id(course)] > course.capacity:
                row.status = Status.WAITLISTED
                row.waitlisted_at = now + datetime.timedelta(microseconds=index)
                course.waitlist_count += 1
                continue
        course.enrolled_count += 1


if __name__ == "__main__":
    print(json.dumps(seed(json.loads(sys.argv[1])["scale"])))
