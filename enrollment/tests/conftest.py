import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from catalog.tests.factories import CourseFactory, TermFactory
from enrollment import locks


@pytest.fixture
def term(db):
    return TermFactory(name="Fall 2026", slug="fall-2026")


@pytest.fixture
def course(term):
    return CourseFactory(code="CS101", title="Programming", term=term, capacity=2, credits=3)


@pytest.fixture
def student(db):
    return UserFactory(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def past_term(db):
    now = timezone.now()
    return TermFactory(
        name="Spring 2026",
        slug="spring-2026",
        starts_on=timezone.localdate() - datetime.timedelta(days=200),
        ends_on=timezone.localdate() - datetime.timedelta(days=100),
        enrollment_opens_at=now - datetime.timedelta(days=230),
        enrollment_closes_at=now - datetime.timedelta(days=190),
        drop_deadline=now - datetime.timedelta(days=180),
    )


@pytest.fixture
def patient(monkeypatch):
    """Requests wait for the lock as long as it takes, however loaded the machine: serialised, never refused."""
    monkeypatch.setattr(locks, "WAIT_SECONDS", 60)
