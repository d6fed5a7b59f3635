"""A student's whole journey in headless Chromium against a live server.

Needs Debian's chromium at /usr/bin/chromium, or another Chromium-based
browser named by CHROMIUM_PATH (Playwright's own browser download is not used). Without it the test is skipped, unless
REQUIRE_BROWSER is set (as .ci/run does), where it fails instead.
Screenshots of every page go to test-artifacts/screenshots/.
"""

import os
import shutil
from pathlib import Path

import pytest

from catalog.tests.factories import CourseFactory, TermFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"  # reported by conftest.py
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"REQUIRE_BROWSER is set but {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True)
    # Playwright's sync API runs an event loop in this thread; Django's
    # async-safety check would otherwise refuse the ORM calls made here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.console_errors = []
        page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
        yield page
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def shoot(page, name):
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_sign_up_log_in_search_enroll_and_drop(live_server, browser_page):
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
    assert len(list(SCREENSHOTS.glob("*.png"))) == 7
    # The Content-Security-Policy refuses inline code: nothing on the way may need it.
    assert page.console_errors == []
