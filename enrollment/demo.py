"""Demo data: terms around today, a catalog across departments, instructors, students and their enrollments.

Each registrar policy shows: a student with a bursar hold, registration
appointments on the upcoming term, and a withdrawal (grade W) on the demo
student's transcript.

Used by ``manage.py seed_demo``. Rows are written with bulk inserts (the
embedded database is slow per operation) rather than through
enrollment.services, and the seat counters are then set from them as
``check_db --fix-counters`` sets them: this is an initial load into empty
courses, not a change to live enrollments.

Instructors get accounts and are linked to their courses by the catalog's
names, as the migration links an existing school's (catalog.instructors).
Dr. Mensah teaches computer science: last term's grades are submitted, the
intensive course that ended yesterday waits for its grades, and Ada holds
Mensah's permit for a full course.
"""

import datetime
import random
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from faker import Faker

from accounts.instructor_group import add_to_instructor_group
from accounts.models import User
from catalog.instructors import link_instructor_names
from catalog.models import Course, Term

from .grades import Grade
from .models import (
    AppointmentGroup,
    Enrollment,
    EnrollmentEvent,
    GradeSheet,
    Hold,
    HoldKind,
    Status,
    Via,
)
from .seat_counters import counter_mismatches
from .teaching import INSTRUCTOR, TaughtCourse, permit_issue
from .waivers import Waiver

STUDENT_PASSWORD = "student-demo"
REGISTRAR_EMAIL = "registrar@example.edu"
REGISTRAR_PASSWORD = "registrar-demo"
DEMO_STUDENT_EMAIL = "ada@example.edu"
INSTRUCTOR_PASSWORD = "instructor-demo"
DEMO_INSTRUCTOR_EMAIL = "mensah@example.edu"
# (first name, surname): each teaches as "Dr. <surname>" and logs in as <surname>@example.edu.
INSTRUCTORS = [("Chidi", "Okafor"), ("Sofia", "Lindqvist"), ("Layla", "Haddad"), ("Julien", "Moreau"),
               ("Hana", "Tanaka"), ("Diego", "Ibarra"), ("Petra", "Novak"), ("Lucia", "Castillo"),
               ("Ama", "Mensah"), ("Aoife", "Byrne"), ("Marek", "Kowalski"), ("Nneka", "Achebe")]
INTENSIVE_STUDENTS = 12
HELD_STUDENT_EMAIL = "grace@example.edu"
HOLD_KINDS = [
    ("bursar", "Bursar", "the Bursar's Office (bursar@example.edu, Main Hall 104)"),
    ("advising", "Advising", "your academic advisor (advising@example.edu)"),
    ("registrar", "Registrar", "the Registrar's Office (registrar@example.edu, Main Hall 110)"),
]
# (earned credits at least, days after the upcoming term's enrollment opens):
# demo students have earned up to about 16 credits in the past term.
APPOINTMENT_GROUPS = [(10, 0), (5, 1), (0, 2)]

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
    instructors: int = 0
    enrollments: dict = field(default_factory=dict)
    holds: int = 0
    appointment_groups: int = 0


def demo_present() -> bool:
    return Course.objects.exists()


def seed_demo(*, students: int = 200, seed: int = 2026, today: datetime.date | None = None) -> DemoSummary:
    rng = random.Random(seed)
    today = today or timezone.localdate()
    summary = DemoSummary()
    past, current, upcoming, intensive = _terms(today)
    summary.terms = 4

    courses = _courses(rng, past, current, upcoming, intensive)
    summary.courses = sum(len(term_courses) for term_courses in courses.values())

    teachers = _instructors()
    summary.instructors = len(teachers)
    people = _students(rng, students, taken=set(teachers))
    summary.students = len(people)

    summary.enrollments = _enrollments(rng, people, courses, past, current, intensive)
    _grading(courses[past], teachers)
    _permit(people[0], courses[current], teachers[DEMO_INSTRUCTOR_EMAIL])
    summary.holds = _holds()
    summary.appointment_groups = _appointment_groups(upcoming)
    return summary


def _season(day: datetime.date) -> str:
    return "Spring" if day.month < 6 else "Summer" if day.month < 8 else "Fall"


def _terms(today):
    def term(start_offset: int, length: int, opens: int, closes: int, drop: int, withdraw: int) -> Term:
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
            withdraw_deadline=moment + datetime.timedelta(days=withdraw),
        )

    past = term(-250, 110, -290, -240, -225, -200)
    current = term(-10, 110, -40, 20, 30, 60)
    upcoming = term(160, 110, 120, 170, 180, 210)
    # Ended yesterday: its grades are due within the week.
    starts = today - datetime.timedelta(days=36)
    intensive = Term.objects.create(
        name=f"{starts:%B %Y} intensive", slug=f"{starts:%B-%Y}-intensive".lower(), starts_on=starts,
        ends_on=today - datetime.timedelta(days=1),
        enrollment_opens_at=timezone.make_aware(datetime.datetime.combine(starts, datetime.time(9)))
        - datetime.timedelta(days=30),
        enrollment_closes_at=timezone.make_aware(datetime.datetime.combine(starts, datetime.time(9))),
        drop_deadline=timezone.make_aware(datetime.datetime.combine(starts, datetime.time(9)))
        + datetime.timedelta(days=7),
        withdraw_deadline=timezone.make_aware(datetime.datetime.combine(starts, datetime.time(9)))
        + datetime.timedelta(days=21),
        grades_due_at=timezone.make_aware(datetime.datetime.combine(today, datetime.time(17)))
        + datetime.timedelta(days=7),
    )
    return past, current, upcoming, intensive


def _courses(rng, past, current, upcoming, intensive) -> dict:
    """{term: [Course]}; current-term level-2 courses require the past term's level-1 course.

    Computer science is Dr. Mensah's; the other departments' teachers are drawn at random.
    """
    others = [f"Dr. {surname}" for _first, surname in INSTRUCTORS if surname != "Mensah"]

    def make(term, code, title, capacity):
        days, minutes = rng.choice(MEETINGS)
        start = datetime.time(rng.choice(START_HOURS))
        end = (datetime.datetime.combine(datetime.date.min, start) + datetime.timedelta(minutes=minutes)).time()
        teacher = rng.choice(others)
        return Course(
            code=code, title=title, term=term, capacity=capacity,
            credits=rng.choice([3, 3, 3, 4, 4, 2]), instructor="Dr. Mensah" if code.startswith("CS") else teacher,
            description=f"{title}: lectures, weekly problem sets and a final project.",
            meeting_days=days, starts_at=start, ends_at=end,
        )

    plan = {past: [], current: [], upcoming: [], intensive: [make(intensive, "CS150", "Python Intensive", 20)]}
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


def _instructors() -> dict[str, User]:
    """{email: account} of the demo instructors, in the Instructor group and linked to the courses they teach."""
    password = make_password(INSTRUCTOR_PASSWORD)
    first = User.next_student_number()
    User.objects.bulk_create(
        User(email=f"{surname.lower()}@example.edu", first_name=first_name, last_name=surname, password=password,
             student_number=first + n)
        for n, (first_name, surname) in enumerate(INSTRUCTORS)
    )
    teachers = {user.email: user for user in User.objects.filter(student_number__gte=first)}
    add_to_instructor_group(list(teachers.values()))
    link_instructor_names()
    return teachers


def _students(rng, count, taken: set[str]) -> list[User]:
    fake = Faker()
    fake.seed_instance(rng.randrange(1 << 30))
    # One hash for every demo student: Argon2 is slow on purpose, and the
    # demo accounts share a published password anyway.
    password = make_password(STUDENT_PASSWORD)
    User.objects.create_superuser(REGISTRAR_EMAIL, REGISTRAR_PASSWORD, first_name="Rita", last_name="Registrar")
    first = User.objects.create_user(DEMO_STUDENT_EMAIL, STUDENT_PASSWORD, first_name="Ada", last_name="Lovelace")
    held = User.objects.create_user(HELD_STUDENT_EMAIL, STUDENT_PASSWORD, first_name="Grace", last_name="Hopper")
    start = held.student_number + 1

    def email() -> str:
        while (address := f"{fake.unique.user_name()}@example.edu") in taken:
            pass
        return address

    people = [
        User(
            email=email(),
            first_name=fake.first_name(),
            last_name=fake.last_name(),
            password=password,
            student_number=start + n,
        )
        for n in range(count - 2)
    ]
    User.objects.bulk_create(people)
    return [first, held, *User.objects.filter(student_number__gte=start).order_by("student_number")]


def _enrollments(rng, people, courses, past, current, intensive) -> dict:
    rows, seats_taken = [], Counter()
    # The intensive course's class, Ada first, waiting for their grades.
    for student in people[:INTENSIVE_STUDENTS]:
        rows.append(Enrollment(student=student, course=courses[intensive][0], status=Status.ENROLLED))
    limit = settings.REGISTRAR_CREDIT_LIMIT
    now = timezone.now()
    for index, student in enumerate(people):
        taken = rng.sample(courses[past], rng.randint(2, 4))
        for course in taken:
            rows.append(Enrollment(student=student, course=course, status=Status.ENROLLED,
                                   grade=rng.choice(PAST_GRADES)))
        if student.email == DEMO_STUDENT_EMAIL:
            # The demo student withdrew from one more course after its drop deadline.
            withdrawn = rng.choice([course for course in courses[past] if course not in taken])
            rows.append(Enrollment(student=student, course=withdrawn, status=Status.WITHDRAWN, grade=Grade.WITHDRAWN))
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
    return Counter(row.status for row in rows)


def _grading(past_courses: list[Course], teachers: dict[str, User]) -> None:
    """Last term's grade sheets, submitted by their instructors (whose grades are the demo's past grades)."""
    submitted = timezone.make_aware(datetime.datetime.combine(past_courses[0].term.ends_on, datetime.time(16)))
    by_name = {f"Dr. {user.last_name}": user for user in teachers.values()}
    GradeSheet.objects.bulk_create(
        GradeSheet(course=course, version=1, submitted_at=submitted, submitted_by=by_name.get(course.instructor),
                   saved_at=submitted, saved_by=by_name.get(course.instructor))
        for course in past_courses
    )


def _permit(student: User, current_courses: list[Course], instructor: User) -> None:
    """Dr. Mensah's permit for Ada in a course she has not taken: past its prerequisites, clash and capacity."""
    taken = set(Enrollment.objects.filter(student=student).values_list("course_id", flat=True))
    # Computer science first (Dr. Mensah's own), any other course she has not taken otherwise.
    candidates = sorted((c for c in current_courses if c.pk not in taken),
                        key=lambda c: (not c.code.startswith("CS"), c.code))
    course = Course.objects.with_term().get(pk=candidates[0].pk)
    permit_issue(
        taught=TaughtCourse(course, INSTRUCTOR), student=student, actor=instructor, via=Via.COMMAND,
        waives=[Waiver.PREREQUISITES, Waiver.SCHEDULE, Waiver.CAPACITY],
        valid_until=min(timezone.localdate(course.term.enrollment_closes_at), course.term.ends_on),
    )


def _holds() -> int:
    kinds = {code: HoldKind.objects.create(code=code, name=name, office=office) for code, name, office in HOLD_KINDS}
    Hold.objects.create(
        student=User.objects.get(email=HELD_STUDENT_EMAIL), kind=kinds["bursar"],
        reason="Your tuition for this term is unpaid.", placed_by=User.objects.get(email=REGISTRAR_EMAIL),
        placed_at=timezone.now(), placed_via=Via.ADMIN,
    )
    return 1


def _appointment_groups(term) -> int:
    AppointmentGroup.objects.bulk_create(
        AppointmentGroup(term=term, min_credits=credits,
                         opens_at=term.enrollment_opens_at + datetime.timedelta(days=days))
        for credits, days in APPOINTMENT_GROUPS
    )
    return len(APPOINTMENT_GROUPS)


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
