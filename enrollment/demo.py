"""Demo data: terms around today, a catalog across departments, students and their enrollments.

Used by ``manage.py seed_demo``. Rows are written with bulk inserts (the
embedded database is slow per operation) rather than through
enrollment.services, and the seat counters are then set from them as
``check_db --fix-counters`` sets them: this is an initial load into empty
courses, not a change to live enrollments.
"""

import datetime
import random
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from faker import Faker

from accounts.models import User
from catalog.models import Course, Term

from .models import ACTIVE_STATUSES, Enrollment, EnrollmentEvent, Status, Via
from .seat_counters import counter_mismatches

STUDENT_PASSWORD = "student-demo"
REGISTRAR_EMAIL = "registrar@example.edu"
REGISTRAR_PASSWORD = "registrar-demo"
DEMO_STUDENT_EMAIL = "ada@example.edu"

DEPARTMENTS = {
    "CS": ["Programming Fundamentals", "Data Structures", "Algorithms", "Databases", "Operating Systems",
           "Computer Networks"],
    "MATH": ["Calculus I", "Calculus II", "Linear Algebra", "Discrete Mathematics", "Probability", "Statistics"],
    "PHYS": ["Mechanics", "Electricity and Magnetism", "Waves and Optics", "Modern Physics", "Thermodynamics",
             "Astrophysics"],
    "CHEM": ["General Chemistry", "Organic Chemistry", "Physical Chemistry", "Biochemistry",
             "Analytical Chemistry", "Inorganic Chemistry"],
    "BIO": ["Cell Biology", "Genetics", "Ecology", "Microbiology", "Evolution", "Neuroscience"],
    "HIST": ["World History", "Modern Europe", "The Americas", "History of Science", "Ancient Rome",
             "Asian Civilisations"],
    "ENGL": ["Academic Writing", "Shakespeare", "Modern Poetry", "The Novel", "Creative Writing", "Rhetoric"],
    "ECON": ["Microeconomics", "Macroeconomics", "Econometrics", "Game Theory", "Public Finance",
             "Development Economics"],
    "PSYC": ["Introduction to Psychology", "Cognitive Psychology", "Social Psychology", "Research Methods",
             "Developmental Psychology", "Clinical Psychology"],
    "ART": ["Drawing", "Art History", "Digital Design", "Photography", "Sculpture", "Color Theory"],
}
MEETINGS = [("MWF", 50), ("TR", 75), ("MW", 75)]
START_HOURS = [8, 9, 10, 11, 13, 14, 15, 16]
PAST_GRADES = ["A", "A", "A-", "B+", "B", "B", "B-", "C+", "C", "C-", "D", "F", "P"]


@dataclass
class DemoSummary:
    terms: int = 0
    courses: int = 0
    students: int = 0
    enrollments: dict = field(default_factory=dict)


def demo_present() -> bool:
    return Course.objects.exists()


def seed_demo(*, students: int = 200, seed: int = 2026, today: datetime.date | None = None) -> DemoSummary:
    rng = random.Random(seed)
    today = today or timezone.localdate()
    summary = DemoSummary()
    past, current, upcoming = _terms(today)
    summary.terms = 3

    courses = _courses(rng, past, current, upcoming)
    summary.courses = sum(len(term_courses) for term_courses in courses.values())

    people = _students(rng, students)
    summary.students = len(people)

    summary.enrollments = _enrollments(rng, people, courses, past, current)
    return summary


def _season(day: datetime.date) -> str:
    return "Spring" if day.month < 6 else "Summer" if day.month < 8 else "Fall"


def _terms(today):
    def term(start_offset: int, length: int, opens: int, closes: int, drop: int) -> Term:
        starts = today + datetime.timedelta(days=start_offset)
        name = f"{_season(starts)} {starts.year}"
        moment = timezone.make_aware(datetime.datetime.combine(today, datetime.time(9)))
        return Term.objects.create(
            name=name,
            slug=name.lower().replace(" ", "-"),
            starts_on=starts,
            ends_on=starts + datetime.timedelta(days=length),
            enrollment_opens_at=moment + datetime.timedelta(days=opens),
            enrollment_closes_at=moment + datetime.timedelta(days=closes),
            drop_deadline=moment + datetime.timedelta(days=drop),
        )

    past = term(-250, 110, -290, -240, -225)
    current = term(-10, 110, -40, 20, 30)
    upcoming = term(160, 110, 120, 170, 180)
    return past, current, upcoming


def _courses(rng, past, current, upcoming) -> dict:
    """{term: [Course]}; current-term level-2 courses require the past term's level-1 course."""
    instructors = [f"Dr. {name}" for name in ["Okafor", "Lindqvist", "Haddad", "Moreau", "Tanaka", "Ibarra",
                                              "Novak", "Castillo", "Mensah", "Byrne", "Kowalski", "Achebe"]]

    def make(term, code, title, capacity):
        days, minutes = rng.choice(MEETINGS)
        start = datetime.time(rng.choice(START_HOURS))
        end = (datetime.datetime.combine(datetime.date.min, start) + datetime.timedelta(minutes=minutes)).time()
        return Course(
            code=code, title=title, term=term, capacity=capacity,
            credits=rng.choice([3, 3, 3, 4, 4, 2]), instructor=rng.choice(instructors),
            description=f"{title}: lectures, weekly problem sets and a final project.",
            meeting_days=days, starts_at=start, ends_at=end,
        )

    plan = {past: [], current: [], upcoming: []}
    for department, titles in DEPARTMENTS.items():
        plan[past].append(make(past, f"{department}101", titles[0], 60))
        for level, title in enumerate(titles[1:5], start=2):
            # A few small courses fill up and grow waitlists.
            capacity = rng.choice([6, 8]) if level == 2 else rng.choice([25, 30, 40, 60])
            plan[current].append(make(current, f"{department}{level}01", title, capacity))
        plan[upcoming].append(make(upcoming, f"{department}601", titles[5], 30))
    for term_courses in plan.values():
        Course.objects.bulk_create(term_courses)
    by_code = {c.code: c for c in Course.objects.all()}
    plan = {term: [by_code[c.code] for c in term_courses] for term, term_courses in plan.items()}
    through = Course.prerequisites.through
    through.objects.bulk_create(
        through(from_course_id=by_code[f"{d}201"].pk, to_course_id=by_code[f"{d}101"].pk) for d in DEPARTMENTS
    )
    return plan


def _students(rng, count) -> list[User]:
    fake = Faker()
    fake.seed_instance(rng.randrange(1 << 30))
    # One hash for every demo student: Argon2 is slow on purpose, and the
    # demo accounts share a published password anyway.
    password = make_password(STUDENT_PASSWORD)
    User.objects.create_superuser(REGISTRAR_EMAIL, REGISTRAR_PASSWORD, first_name="Rita", last_name="Registrar")
    first = User.objects.create_user(DEMO_STUDENT_EMAIL, STUDENT_PASSWORD, first_name="Ada", last_name="Lovelace")
    start = first.student_number + 1
    people = [
        User(
            email=f"{fake.unique.user_name()}@example.edu",
            first_name=fake.first_name(),
            last_name=fake.last_name(),
            password=password,
            student_number=start + n,
        )
        for n in range(count - 1)
    ]
    User.objects.bulk_create(people)
    return [first, *User.objects.filter(student_number__gte=start).order_by("student_number")]


def _enrollments(rng, people, courses, past, current) -> dict:
    rows, seats_taken = [], Counter()
    limit = settings.REGISTRAR_CREDIT_LIMIT
    now = timezone.now()
    for index, student in enumerate(people):
        for course in rng.sample(courses[past], rng.randint(2, 4)):
            rows.append(Enrollment(student=student, course=course, status=Status.ENROLLED,
                                   grade=rng.choice(PAST_GRADES)))
        chosen, credits = [], 0
        for course in rng.sample(courses[current], len(courses[current])):
            if len(chosen) == rng.randint(3, 5):
                break
            if credits + course.credits > limit or any(course.clashes_with(other) for other in chosen):
                continue
            chosen.append(course)
            credits += course.credits
        for course in chosen:
            if seats_taken[course.pk] < course.capacity:
                seats_taken[course.pk] += 1
                rows.append(Enrollment(student=student, course=course, status=Status.ENROLLED))
            else:
                rows.append(Enrollment(student=student, course=course, status=Status.WAITLISTED,
                                       waitlisted_at=now + datetime.timedelta(microseconds=index)))
    Enrollment.objects.bulk_create(rows)
    if swap := _waiting_swap(people[0], rows, courses[current], seats_taken, now):
        rows.append(swap)
    EnrollmentEvent.objects.bulk_create(
        EnrollmentEvent(enrollment=row, to_status=row.status, via=Via.COMMAND, note="demo data") for row in rows
    )
    counter_mismatches(fix=True)
    return {status: sum(1 for row in rows if row.status == status) for status in ACTIVE_STATUSES}


def _waiting_swap(student, rows, current_courses, seats_taken, now) -> Enrollment | None:
    """The demo student waits for a full course in place of one they hold (enrollment.swaps), where one fits."""
    limit = settings.REGISTRAR_CREDIT_LIMIT
    mine = [row for row in rows if row.student_id == student.pk and row.course.term_id == current_courses[0].term_id]
    taken = {row.course_id for row in mine}
    for wanted in current_courses:
        if wanted.pk in taken or seats_taken[wanted.pk] < wanted.capacity:
            continue
        for replaced in (row for row in mine if row.status == Status.ENROLLED):
            kept = [row.course for row in mine if row is not replaced]
            if sum(c.credits for c in kept) + wanted.credits <= limit and not any(wanted.clashes_with(c) for c in kept):
                return Enrollment.objects.create(student=student, course=wanted, status=Status.WAITLISTED,
                                                 waitlisted_at=now + datetime.timedelta(seconds=1), swap_for=replaced)
    return None
