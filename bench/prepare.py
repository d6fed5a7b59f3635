"""Create a scenario's data with the app's own models: python bench/prepare.py '{"students": 60, "seats": 10}'.

Prints JSON: the course code, the students' ids and one logged-in session key per student.
"""

import datetime
import json
import os
import sys
from pathlib import Path

# The app measured: this checkout, or another one (BENCH_APP, for a baseline).
sys.path.insert(0, os.environ.get("BENCH_APP") or str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from accounts.models import User  # noqa: E402
from catalog.models import Course, Term  # noqa: E402
from enrollment.models import Enrollment, Status  # noqa: E402

SessionStore = import_string(f"{settings.SESSION_ENGINE}.SessionStore")


def main(options: dict) -> dict:
    if options.get("scenario") == "one_student":
        return one_student(options)
    if options.get("scenario") == "sessions":
        return sessions(options)
    return rush(options)


def sessions(options: dict) -> dict:
    """For a seeded school (bench/school.py): a session for each email, newcomers with theirs, and the
    write stream's students (``tried``) with a dropped enrollment in each of its courses (``courses``).

    The stream enrolls each of its students in each of its courses in turn: each first enrollment in
    a course is a new row, a later one takes the dropped row again. Without the rows made here, every
    enroll read more of its student's rows than the one before for the first minutes, and the stream
    cost the database more in the last runs of a page than when its cost was measured, at the start.
    """
    users = {user.email: user for user in User.objects.filter(email__in=options["emails"])}
    tried = [users[email] for email in options.get("tried", [])]
    courses = list(Course.objects.filter(code__in=options.get("courses", [])))
    have = set(Enrollment.objects.filter(student__in=tried, course__in=courses).values_list("student_id", "course_id"))
    Enrollment.objects.bulk_create(
        Enrollment(student=student, course=course, status=Status.DROPPED)
        for student in tried for course in courses if (student.pk, course.pk) not in have
    )
    return {
        "students": User.objects.filter(is_staff=False).count(),
        "sessions": dict(zip(options["emails"], logged_in([users[email] for email in options["emails"]]), strict=True)),
        "newcomers": logged_in(new_students(options["newcomers"], prefix="newcomer")),
    }


def new_students(count: int, prefix: str) -> list:
    password = make_password(None)
    first = (User.objects.order_by("-student_number").values_list("student_number", flat=True).first() or 0) + 1
    User.objects.bulk_create(
        User(email=f"{prefix}{first + n}@example.edu", student_number=first + n, password=password)
        for n in range(count)
    )
    return list(User.objects.filter(student_number__gte=first).order_by("student_number"))


def logged_in(users) -> list[str]:
    """Session keys for users, saved by the project's session store as a login
    saves them (database and cache); a login form would measure Argon2."""
    backend = settings.AUTHENTICATION_BACKENDS[0]
    keys = []
    for user in users:
        session = SessionStore()
        session.update({
            SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: backend, HASH_SESSION_KEY: user.get_session_auth_hash(),
        })
        session.create()
        keys.append(session.session_key)
    return keys


def rush(options: dict) -> dict:
    term = bench_term()
    code = options.get("course", "RUSH101")
    Course.objects.create(code=code, title="Registration rush", credits=3, term=term, capacity=options["seats"])
    students = new_students(options["students"], prefix="rush")
    return {"course": code, "sessions": logged_in(students), "students": [str(user.pk) for user in students]}


def one_student(options: dict) -> dict:
    """Two students: one for options["courses"] 3-credit courses, MWF at distinct hours; one for
    two courses at the same hour."""
    term = bench_term()
    hours = [*range(8, 8 + options["courses"]), 8, 8]
    codes = [f"LOAD{100 + n}" for n in range(len(hours))]
    Course.objects.bulk_create(
        Course(code=code, title=f"Load {code}", credits=3, term=term, capacity=10, meeting_days="MWF",
               starts_at=datetime.time(hour), ends_at=datetime.time(hour, 50))
        for code, hour in zip(codes, hours, strict=True)
    )
    students = new_students(2, prefix="load")
    return {"courses": codes[:-2], "same_hour": codes[-2:], "sessions": logged_in(students),
            "students": [str(student.pk) for student in students]}


def bench_term() -> Term:
    now = timezone.now()
    term, _ = Term.objects.get_or_create(slug="bench-term", defaults={
        "name": "Bench term",
        "starts_on": now.date(),
        "ends_on": now.date() + datetime.timedelta(days=90),
        "enrollment_opens_at": now - datetime.timedelta(days=1),
        "enrollment_closes_at": now + datetime.timedelta(days=30),
        "drop_deadline": now + datetime.timedelta(days=40),
        "withdraw_deadline": now + datetime.timedelta(days=60),
    })
    return term


print(json.dumps(main(json.loads(sys.argv[1]))))
