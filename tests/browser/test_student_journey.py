"""A student's whole journey in headless Chromium against a live server (tests/browser/conftest.py).

Screenshots of every page go to test-artifacts/screenshots/.
"""

import pytest

from catalog.tests.factories import CourseFactory, TermFactory

from .conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

JOURNEY = ["01-home", "02-signup", "03-login", "04-catalog", "05-course", "06-my-enrollments", "07-dropped"]


def test_sign_up_log_in_search_enroll_and_drop(live_server, browser_page, shoot):
    term = TermFactory(name="Fall 2026", slug="fall-2026")
    CourseFactory(code="CS101", title="Programming Fundamentals", term=term, instructor="Dr. Hopper",
                  meeting_days="MWF", capacity=30)
    CourseFactory(code="HIST201", title="Modern Europe", term=term, instructor="Dr. Moreau", capacity=20)
    page = browser_page
    url = live_server.url

    page.goto(f"{url}/")
    shoot(page, "01-home")
    page.get_by_role("link", name="Sign up", exact=True).click()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email").fill("grace@example.edu")
    page.get_by_label("Password:", exact=True).fill("a-long-passphrase-1906")
    page.get_by_label("Password (again)").fill("a-long-passphrase-1906")
    shoot(page, "02-signup")
    page.get_by_role("button", name="Sign Up").click()
    page.get_by_role("button", name="Log out").click()

    page.get_by_role("link", name="Log in", exact=True).click()
    page.get_by_label("Email").fill("grace@example.edu")
    page.get_by_label("Password:", exact=True).fill("a-long-passphrase-1906")
    shoot(page, "03-login")
    page.get_by_role("button", name="Sign In").click()
    assert page.get_by_role("link", name="My enrollments", exact=True).is_visible()

    page.get_by_role("link", name="Catalog", exact=True).click()
    page.get_by_role("searchbox", name="Search").fill("programming")
    page.get_by_role("button", name="Search", exact=True).click()
    assert page.get_by_role("link", name="CS101").is_visible()
    assert page.get_by_role("link", name="HIST201").count() == 0
    shoot(page, "04-catalog")

    page.get_by_role("link", name="CS101").click()
    shoot(page, "05-course")
    page.get_by_role("button", name="Enroll in CS101").click()
    assert page.get_by_text("You are enrolled in CS101").is_visible()

    page.get_by_role("link", name="My enrollments", exact=True).click()
    assert page.get_by_role("link", name="CS101").is_visible()
    assert page.get_by_text("Enrolled", exact=True).is_visible()
    shoot(page, "06-my-enrollments")

    page.get_by_role("button", name="Drop CS101").click()
    assert page.get_by_text("You have dropped CS101").is_visible()
    assert page.get_by_text("Dropped", exact=True).is_visible()
    shoot(page, "07-dropped")
    assert all((SCREENSHOTS / f"{name}.png").exists() for name in JOURNEY)
    # The Content-Security-Policy refuses inline code: nothing on the way may need it.
    assert page.console_errors == []
