"""A student plans a term in headless Chromium: a swap on a course page, a waiting swap, the week's timetable.

Each page is checked as the student journey's are (axe-core, phone size) and
photographed at both sizes into test-artifacts/screenshots/term_planning/,
with the timetable alone (as in the README) and the page as printed.
"""

import datetime

import pytest

from accounts.tests.factories import UserFactory
from catalog.tests.factories import CourseFactory, TermFactory
from enrollment.services import enrollment_create

from .checks import PageChecker
from .conftest import log_in

pytestmark = pytest.mark.browser


def course(term, code, title, days, start, end, **fields):
    return CourseFactory(code=code, title=title, term=term, meeting_days=days, starts_at=datetime.time(*start),
                         ends_at=datetime.time(*end), **fields)


def test_swap_a_course_for_a_clashing_one_and_see_the_week(browser_page, live_server, screenshots):
    term = TermFactory(name="Fall 2026", slug="fall-2026")
    student = UserFactory(email="grace@example.edu", first_name="Grace", last_name="Hopper")
    programming = course(term, "CS101", "Programming Fundamentals", "MWF", (9,), (9, 50))
    calculus = course(term, "MATH201", "Linear Algebra", "TR", (11,), (12, 15))
    course(term, "CS102", "Programming in Python", "MWF", (9,), (9, 50))
    lab = course(term, "PHYS210", "Physics Lab", "S", (10,), (12,))
    art = course(term, "ART301", "Digital Design", "TR", (11, 30), (12, 45), capacity=1)
    for held in (programming, calculus, lab):
        enrollment_create(student=student, course=held)
    enrollment_create(student=UserFactory(), course=art)
    page = browser_page
    check = PageChecker(page, screenshots)

    log_in(page, live_server, student)

    # CS102 clashes with CS101: not as an extra course, but instead of it.
    page.goto("/courses/CS102/")
    assert page.get_by_text("CS102 clashes with CS101").first.is_visible()
    assert page.get_by_role("button", name="Enroll in CS102", exact=True).count() == 0
    check.both("01-course-offers-a-swap")
    page.get_by_role("button", name="Enroll in CS102 instead of CS101").click()
    assert page.get_by_text("You are enrolled in CS102 Programming in Python instead of CS101.").is_visible()

    # ART301 is full and clashes with MATH201: wait for it with MATH201 as the swap.
    page.goto("/courses/ART301/")
    page.get_by_role("button", name="Join the waitlist for ART301 instead of MATH201").click()
    assert page.get_by_text("and keep MATH201 until a seat is yours").is_visible()
    assert page.get_by_text("Swap: MATH201 is dropped when you get a seat in ART301.").is_visible()

    page.get_by_role("link", name="My enrollments", exact=True).click()
    week = page.locator("figure.timetable")
    assert week.get_by_text("Your week in Fall 2026").is_visible()
    days = week.locator("svg.tt-grid text.tt-day").all_text_contents()
    assert days == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]  # widened for the Saturday lab
    assert week.locator(".tt-block.enrolled").count() == 3 + 2 + 1  # CS102 MWF, MATH201 TR, PHYS210 S
    assert week.locator(".tt-block.waitlisted").count() == 2  # ART301 TR, beside MATH201
    assert week.locator(".tt-block", has_text="CS101").count() == 0
    table = week.get_by_role("table", name="Meetings of your Fall 2026 courses, by day")
    assert table.get_by_role("row", name="Tuesday 11:30–12:45 ART301 Digital Design Waitlisted (swap for MATH201)")
    assert page.get_by_text("swap: MATH201 is dropped when you get the seat").is_visible()
    check.both("02-my-enrollments-timetable")
    week.screenshot(path=screenshots / "03-timetable.png")
    page.emulate_media(media="print")
    assert page.get_by_role("button", name="Drop CS102").is_hidden()
    page.screenshot(path=screenshots / "04-timetable-printed.png", full_page=True)
    check.write_report()
    # The Content-Security-Policy refuses inline style: the timetable needs none.
    assert page.console_errors == []
