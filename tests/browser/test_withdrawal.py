"""A student withdraws from a course after its drop deadline, in headless Chromium against a live server.

Each page is checked as the student journey's are (axe-core, phone size) and
photographed at both sizes into test-artifacts/screenshots/withdrawal/.
"""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Term
from catalog.tests.factories import CourseFactory, TermFactory
from enrollment.models import Enrollment
from enrollment.services import enrollment_create

from .checks import PageChecker
from .conftest import log_in

pytestmark = pytest.mark.browser

DAY = datetime.timedelta(days=1)


def test_withdraw_after_the_drop_deadline_and_see_the_w_on_the_transcript(
    browser_page, live_server, screenshots, settings
):
    settings.REGISTRAR_OFFICE = "the Registrar's Office (Main Hall 110)"
    fall, summer = TermFactory(name="Fall 2026", slug="fall-2026"), TermFactory(name="Summer 2026", slug="summer")
    programming = CourseFactory(code="CS101", title="Programming Fundamentals", term=fall, capacity=1,
                                meeting_days="MWF", starts_at=datetime.time(9), ends_at=datetime.time(9, 50))
    history = CourseFactory(code="HIST201", title="Modern Europe", term=summer)
    student = UserFactory(email="grace@example.edu", first_name="Grace", last_name="Hopper")
    waiting = UserFactory()
    for course in (programming, history):
        enrollment_create(student=student, course=course)
    enrollment_create(student=waiting, course=programming)
    now = timezone.now()
    # Fall is past its drop deadline, in its withdrawal period; Summer past both.
    Term.objects.filter(pk=fall.pk).update(drop_deadline=now - DAY, withdraw_deadline=now + 10 * DAY)
    Term.objects.filter(pk=summer.pk).update(drop_deadline=now - 10 * DAY, withdraw_deadline=now - DAY)
    page = browser_page
    check = PageChecker(page, screenshots)

    log_in(page, live_server, student)
    page.goto("/")
    page.get_by_role("link", name="My enrollments", exact=True).click()
    assert page.get_by_role("button", name="Withdraw from CS101 (grade W)").is_visible()
    assert page.get_by_role("button", name="Drop CS101").count() == 0
    assert page.get_by_text("To leave, ask the Registrar's Office (Main Hall 110).").is_visible()
    check.both("01-my-enrollments-after-the-drop-deadline")

    page.get_by_role("link", name="CS101").click()
    assert page.get_by_text("stays on your transcript with a W").is_visible()
    check.both("02-course-page-offers-withdraw")
    page.get_by_role("button", name="Withdraw from CS101").click()
    assert page.get_by_text("You have withdrawn from CS101 Programming Fundamentals").is_visible()
    assert page.get_by_text("Withdrawn", exact=True).is_visible()
    assert page.get_by_role("button", name="Withdraw from CS101").count() == 0
    check.both("03-withdrawn")
    # The seat went to the student waiting for it at once.
    assert Enrollment.objects.get(student=waiting, course=programming).status == "enrolled"

    page.get_by_role("link", name="My enrollments", exact=True).click()
    row = page.get_by_role("row").filter(has_text="CS101")
    assert row.get_by_text("Withdrawn", exact=True).is_visible()
    assert row.get_by_role("cell", name="W", exact=True).is_visible()
    check.both("04-transcript-with-a-w")

    page.get_by_role("link", name="HIST201").click()
    assert page.get_by_text("The withdrawal deadline for Summer 2026 has passed").is_visible()
    assert page.get_by_role("button").filter(has_text="HIST201").count() == 0
    check.both("05-after-the-withdrawal-deadline-ask-the-registrar")
    check.write_report()
    # The Content-Security-Policy refuses inline code: nothing on the way may need it.
    assert page.console_errors == []
