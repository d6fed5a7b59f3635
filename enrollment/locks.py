"""A student's registration lock for one term: what makes the per-student rules atomic.

The credit limit and schedule clashes depend on all of a student's
enrollments in a term, which no single document holds, and a standalone
MongoDB has no transactions. So a change that could break them takes the
student's lock for the term first: one conditional write on the student's
``RegistrationLock`` document (unique on student and term), which succeeds
for one request only. One student's changes run one at a time; different
students never wait for each other.

Taking the lock is the only write it costs: a change that succeeds never
releases it. It writes its token on the enrollment it changes
(``Enrollment.lock_token``), and the student's next change may take the lock
over only when that token is among the enrollments it has just read, that
is once the holder's write is visible and so counted by the rules the next
change checks. A change that ends without writing an enrollment gives the
lock back (``unlock_term``). A lock held LOCK_SECONDS (its request crashed,
or gunicorn killed it at its 30 s timeout) may be taken by anyone.
"""

import datetime
import secrets
import time
from collections.abc import Callable

from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from .models import Enrollment, RegistrationLock

# Longer than any live request holds it: gunicorn's timeout is 30 s.
LOCK_SECONDS = 35
# A student's other change takes milliseconds (a second or so in a rush);
# one still holding the lock after this is most likely stuck, and waiting
# longer would only keep a web thread busy: the student is told to try again.
WAIT_SECONDS = 3.0


def lock_term(*, student, term, enrollments: list[Enrollment]) -> str | None:
    """Take student's lock for term: its token, or None while another change holds it.

    ``enrollments`` are all the student's enrollments with their courses, read
    just before: the lock is taken over only from a change whose enrollment is
    among them.
    """
    now = timezone.now()
    token = secrets.token_hex(16)
    until = now + datetime.timedelta(seconds=LOCK_SECONDS)
    in_term = [e for e in enrollments if e.course.term_id == term.pk]
    finished = [e.lock_token for e in in_term if e.lock_token]
    free = Q(locked_until__lte=now) | Q(holder__in=finished) if finished else Q(locked_until__lte=now)
    locks = RegistrationLock.objects.filter(student=student, term=term)

    def take_over() -> bool:
        return locks.filter(free).update(holder=token, locked_until=until) == 1

    def create() -> bool:
        try:
            RegistrationLock.objects.create(student=student, term=term, holder=token, locked_until=until)
        except IntegrityError:
            return False
        return True

    # A student's first change in a term usually finds no lock document yet;
    # trying the likelier write first makes it one write either way.
    attempts = (take_over, create) if in_term else (create, take_over)
    return token if any(attempt() for attempt in attempts) else None


def unlock_term(*, student, term, token: str) -> None:
    """Give the lock back after a change that wrote no enrollment (it was refused or undone)."""
    RegistrationLock.objects.filter(student=student, term=term, holder=token).update(locked_until=timezone.now())


def hold_term(*, student, term, check: Callable[[list[Enrollment]], object]) -> tuple[str, object] | None:
    """Read the student's enrollments, check them, and take the lock; again while it is busy.

    ``check(enrollments)`` says whether the change may go ahead (it raises to
    refuse); it runs before the lock is taken, on the enrollments the lock is
    then taken against, so a refusal costs no write. Returns the token and what
    check returned, or None when the lock stayed busy for WAIT_SECONDS.
    """
    deadline = time.monotonic() + WAIT_SECONDS
    pause = 0.005
    while True:
        enrollments = list(Enrollment.objects.filter(student=student).with_course())
        checked = check(enrollments)
        token = lock_term(student=student, term=term, enrollments=enrollments)
        if token:
            return token, checked
        if time.monotonic() + pause > deadline:
            return None
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
