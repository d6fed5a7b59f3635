import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from catalog.instructors import course_set_instructors
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
def instructor(db):
    return UserFactory(email="mensah@example.edu", first_name="Ama", last_name="Mensah")


@pytest.fixture
def taught(course, instructor):
    """CS101 (fixture ``course``), taught by ``instructor``."""
    course_set_instructors(course=course, instructors=[instructor])
    return course


@pytest.fixture
def ended_term(db):
    """A term whose last day was yesterday: its grades can be submitted, for two weeks."""
    today = timezone.localdate()
    now = timezone.now()
    return TermFactory(
        name="Summer 2026", slug="summer-2026", starts_on=today - datetime.timedelta(days=60),
        ends_on=today - datetime.timedelta(days=1), enrollment_opens_at=now - datetime.timedelta(days=90),
        enrollment_closes_at=now - datetime.timedelta(days=50), drop_deadline=now - datetime.timedelta(days=40),
    )


@pytest.fixture
def patient(monkeypatch):
    """Requests wait for the lock as long as it takes, however loaded the machine: serialised, never refused."""
    monkeypatch.setattr(locks, "WAIT_SECONDS", 60)
