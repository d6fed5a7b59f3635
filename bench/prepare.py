"""Create a scenario's data with the app's own models: python bench/prepare.py '{"students": 60, "seats": 10}'.

Prints JSON: the course code, the students' ids and one logged-in session key per student.
"""

import datetime
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from catalog.models import Course, Term  # noqa: E402


def main(options: dict) -> dict:
    now = timezone.now()
    term, _ = Term.objects.get_or_create(slug="bench-term", defaults={
        "name": "Bench term",
        "starts_on": now.date(),
        "ends_on": now.date() + datetime.timedelta(days=90),
        "enrollment_opens_at": now - datetime.timedelta(days=1),
        "enrollment_closes_at": now + datetime.timedelta(days=30),
        "drop_deadline": now + datetime.timedelta(days=40),
    })
    code = options.get("course", "RUSH101")
    Course.objects.create(code=code, title="Registration rush", credits=3, term=term, capacity=options["seats"])
    password = make_password(None)
    first = (User.objects.order_by("-student_number").values_list("student_number", flat=True).first() or 0) + 1
    User.objects.bulk_create(
        User(email=f"rush{first + n}@example.edu", student_number=first + n, password=password)
        for n in range(options["students"])
    )
    # Logged-in sessions written directly: logging 1,000 students in through
    # the form would measure Argon2, not enrollment.
    backend = settings.AUTHENTICATION_BACKENDS[0]
    expires = now + datetime.timedelta(days=1)
    store = SessionStore()
    students = list(User.objects.filter(student_number__gte=first).order_by("student_number"))
    sessions = [
        Session(
            session_key=store._get_new_session_key(),
            session_data=store.encode({
                SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: backend, HASH_SESSION_KEY: user.get_session_auth_hash(),
            }),
            expire_date=expires,
        )
        for user in students
    ]
    Session.objects.bulk_create(sessions)
    return {
        "course": code,
        "sessions": [session.session_key for session in sessions],
        "students": [str(user.pk) for user in students],
    }


print(json.dumps(main(json.loads(sys.argv[1]))))
