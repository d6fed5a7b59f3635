"""A student's whole journey in headless Chromium against a live server, on a laptop and on a phone.

Every page is checked with axe-core (no serious or critical violation), at
390 x 844 for sideways scrolling and touch targets, and photographed at both
sizes into test-artifacts/screenshots/student_journey/ (``<page>-desktop.png``,
``<page>-phone.png``), beside ``accessibility.md``, the list of what axe
reported below "serious". A second test enrolls and drops with the
keyboard alone.
"""

import pytest

from accounts.tests.factories import UserFactory
from catalog.tests.factories import CourseFactory, TermFactory

from .checks import PageChecker, focus_outline
from .conftest import log_in

pytestmark = pytest.mark.browser

COURSES = [
    ("CS101", "Programming Fundamentals", "Dr. Hopper", "MWF", 30, 12, 0),
    ("CS201", "Data Structures", "Dr. Knuth", "TR", 25, 25, 4),
    ("HIST201", "Modern Europe", "Dr. Moreau", "MW", 20, 3, 0),
    ("MATH201", "Linear Algebra", "Dr. Noether", "TR", 40, 38, 0),
    ("PHYS301", "Electricity and Magnetism", "Dr. Maxwell", "MWF", 30, 30, 11),
    ("ART101", "Drawing", "Dr. Kahlo", "", 15, 0, 0),
]


def a_term_of_courses():
    term = TermFactory(name="Fall 2026", slug="fall-2026")
    past = TermFactory(name="Spring 2026", slug="spring-2026")
    for code, title, instructor, days, capacity, enrolled, waiting in COURSES:
        schedule = {"meeting_days": days, "starts_at": "10:00", "ends_at": "10:50"} if days else {}
        CourseFactory(code=code, title=title, term=term, instructor=instructor, capacity=capacity,
                      enrolled_count=enrolled, waitlist_count=waiting, credits=3, **schedule)
    CourseFactory(code="HIST101", title="World History", term=past, instructor="Dr. Moreau")
    return term


def test_sign_up_log_in_search_enroll_and_drop_on_every_screen(browser_page, live_server, screenshots):
    a_term_of_courses()
    page = browser_page
    check = PageChecker(page, screenshots)

    page.goto("/")
    check.both("01-home")
    page.get_by_role("link", name="Sign up", exact=True).click()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email").fill("grace@example.edu")
    page.get_by_label("Password:", exact=True).fill("short")
    page.get_by_label("Password (again)").fill("short")
    page.get_by_role("button", name="Sign Up").click()
    password = page.get_by_label("Password:", exact=True)
    assert password.get_attribute("aria-invalid") == "true"
    assert "too short" in page.locator(f"#{password.get_attribute('aria-describedby').split()[-1]}").inner_text()
    check.both("02-signup-errors")
    page.get_by_label("Password:", exact=True).fill("a-long-passphrase-1906")
    page.get_by_label("Password (again)").fill("a-long-passphrase-1906")
    check.both("03-signup")
    page.get_by_role("button", name="Sign Up").click()
    page.get_by_role("button", name="Log out").click()

    page.get_by_role("link", name="Log in", exact=True).click()
    page.get_by_label("Email").fill("grace@example.edu")
    page.get_by_label("Password:", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign In").click()
    described_by = page.get_by_label("Email").get_attribute("aria-describedby")
    assert "are not correct" in page.locator(f"#{described_by}").inner_text()
    check.both("04-login-error")
    page.get_by_label("Password:", exact=True).fill("a-long-passphrase-1906")
    page.get_by_role("button", name="Sign In").click()
    assert page.get_by_role("link", name="My enrollments", exact=True).is_visible()

    page.get_by_role("link", name="Catalog", exact=True).click()
    assert page.get_by_role("combobox", name="Term").input_value() == "fall-2026"
    assert page.get_by_role("link", name="HIST101").count() == 0  # last term's course
    check.both("05-catalog")
    page.get_by_role("searchbox", name="Search").fill("programming")
    page.get_by_role("button", name="Search", exact=True).click()
    assert page.get_by_role("link", name="CS101").is_visible()
    assert page.get_by_role("link", name="HIST201").count() == 0
    check.both("06-catalog-search")

    page.get_by_role("link", name="CS101").click()
    check.both("07-course")
    page.get_by_role("button", name="Enroll in CS101").click()
    assert "You are enrolled in CS101" in page.get_by_role("status").inner_text()
    check.both("08-enrolled")

    page.get_by_role("link", name="My enrollments", exact=True).click()
    assert page.get_by_role("link", name="CS101").is_visible()
    assert page.locator("table.cards .badge", has_text="Enrolled").is_visible()
    check.both("09-my-enrollments")

    page.get_by_role("button", name="Drop CS101").click()
    assert "You have dropped CS101" in page.get_by_role("status").inner_text()
    assert page.get_by_text("Dropped", exact=True).is_visible()
    check.both("10-dropped")

    page.goto("/")
    check.both("11-home-signed-in")
    for name, path in [("12-profile", "/profile/"), ("13-email-addresses", "/accounts/email/"),
                       ("14-password-change", "/accounts/password/change/")]:
        page.goto(path)
        check.both(name)
    page.get_by_role("button", name="Log out").click()
    for name, path in [("15-password-reset", "/accounts/password/reset/"), ("16-not-found", "/courses/NOPE999/")]:
        page.goto(path)
        check.both(name)

    check.write_report()
    # The Content-Security-Policy refuses inline code: nothing on the way may need it, axe-core included.
    assert page.console_errors == ["Failed to load resource: the server responded with a status of 404 (Not Found)"]


def tab_to(page, name: str, *, limit: int = 60) -> None:
    """Press Tab until the element called name has the focus; every element on the way shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = focus_outline(page)
        assert focused["visible"], f"{focused['tag']} {focused['name']!r} has the focus but no visible outline"
        if focused["name"] == name:
            return
    raise AssertionError(f"{name!r} never got the focus in {limit} presses of Tab")


def press_enter(page, on: str | None = None) -> None:
    """Tab to the link or button called ``on`` (if given), press Enter and wait for the page it leads to."""
    if on:
        tab_to(page, on)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_student_enrolls_and_drops_with_the_keyboard_alone(browser_page, live_server):
    a_term_of_courses()
    page = browser_page
    log_in(page, live_server, UserFactory(first_name="Alan"))

    page.goto("/courses/")
    tab_to(page, "Search")
    page.keyboard.type("linear")
    press_enter(page)
    press_enter(page, on="MATH201")
    press_enter(page, on="Enroll in MATH201")
    assert "You are enrolled in MATH201" in page.get_by_role("status").inner_text()
    press_enter(page, on="My enrollments")
    press_enter(page, on="Drop MATH201")
    assert "You have dropped MATH201" in page.get_by_role("status").inner_text()
