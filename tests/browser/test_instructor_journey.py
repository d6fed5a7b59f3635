"""A demo instructor grades a class in headless Chromium, and a student sees the grade.

Each teaching page is checked as the student pages are (axe-core, no sideways
scrolling and touch targets at 390 x 844) and photographed at both sizes into
test-artifacts/screenshots/instructor_journey/.
"""

import re

import pytest

from enrollment.demo import DEMO_INSTRUCTOR_EMAIL, DEMO_STUDENT_EMAIL, INSTRUCTOR_PASSWORD, STUDENT_PASSWORD, seed_demo
from enrollment.models import Enrollment

from .checks import PageChecker

pytestmark = pytest.mark.browser
GRADES = ["A", "A-", "B+", "B", "C", "P"]


def log_in(page, email, password):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password:", exact=True).fill(password)
    page.get_by_role("button", name="Sign In").click()


def test_an_instructor_grades_the_class_and_the_student_sees_the_grade_and_gpa(browser_page, screenshots):
    seed_demo(students=15, seed=5)
    page = browser_page
    check = PageChecker(page, screenshots)

    log_in(page, DEMO_INSTRUCTOR_EMAIL, INSTRUCTOR_PASSWORD)
    page.get_by_role("link", name="Teaching", exact=True).click()
    assert page.get_by_role("heading", name="Teaching").is_visible()
    check.both("01-teaching")

    page.get_by_role("link", name="CS150").click()
    enrolled = Enrollment.objects.filter(course__code="CS150").count()
    assert page.locator("table").first.locator("tbody tr").count() == enrolled == 12
    assert page.get_by_role("link", name="Email the class").get_attribute("href").startswith("mailto:?bcc=")
    check.both("02-roster")

    page.get_by_role("link", name="Permits", exact=True).click()
    assert page.get_by_role("heading", name="Issue a permit").is_visible()
    check.both("03-permits")
    page.get_by_role("link", name="Grade sheet", exact=True).click()
    selects = page.locator("select")
    assert selects.count() == enrolled
    for index in range(enrolled):
        selects.nth(index).select_option(GRADES[index % len(GRADES)])
    page.get_by_label("Grade for Ada Lovelace").select_option("A")
    page.get_by_role("button", name="Save draft").click()
    assert page.get_by_text("Draft saved").is_visible()
    check.both("04-grade-sheet")
    page.get_by_role("button", name="Submit grades").click()
    assert page.get_by_text(f"Grades submitted: {enrolled} recorded for CS150.").is_visible()
    assert page.locator("select").count() == 0
    check.both("05-submitted")
    page.get_by_role("button", name="Log out").click()

    log_in(page, DEMO_STUDENT_EMAIL, STUDENT_PASSWORD)
    page.get_by_role("link", name="My enrollments", exact=True).click()
    term = page.locator("section.term", has=page.get_by_role("heading", name=re.compile("intensive")))
    assert term.get_by_role("row", name=re.compile("CS150")).get_by_role("cell", name="A", exact=True).is_visible()
    assert term.get_by_text(re.compile(r"term GPA 4\.00")).is_visible()
    check.both("06-student-sees-the-grade")
    check.write_report()
    # The Content-Security-Policy refuses inline code: nothing on the way may need it.
    assert page.console_errors == []
