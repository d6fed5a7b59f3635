"""The browser tests' checks fail a page that scrolls sideways on a phone or has a serious accessibility fault."""

import pytest

from .checks import (
    PHONE,
    accessibility_violations,
    assert_fits_the_screen,
    assert_no_serious_violations,
    axe_source,
    small_touch_targets,
)

pytestmark = pytest.mark.browser

FAULTY_PAGE = """<!doctype html><html lang="en"><head><title>Faulty</title></head>
<body><main><h1>Faulty</h1>
<p>A table a phone cannot show: <span style="display: inline-block; width: 900px">wide</span></p>
<p><input type="text" name="unlabelled"></p>
<p><a href="/next">next</a> <a href="/more">Read more</a> in a sentence.</p>
<p><a href="/alone">alone</a></p>
</main></body></html>"""


@pytest.fixture
def faulty_page(browser):
    page = browser.new_page(viewport=PHONE)
    page.set_content(FAULTY_PAGE)
    yield page
    page.close()


def test_a_page_wider_than_the_phone_fails(faulty_page):
    with pytest.raises(AssertionError, match=r"faulty scrolls sideways at 390 px: the page is \d+ px wide"):
        assert_fits_the_screen(faulty_page, "faulty")


def test_a_field_without_a_label_fails_as_a_serious_violation(faulty_page):
    with pytest.raises(AssertionError, match=r"critical label: Form elements must have labels"):
        assert_no_serious_violations("faulty", accessibility_violations(faulty_page, axe_source()))


def test_controls_under_44_px_are_reported_unless_they_sit_in_running_text(faulty_page):
    reported = [entry.rsplit(" ", 1)[0] for entry in small_touch_targets(faulty_page)]
    assert reported == ['input "unlabelled"', 'a "alone"']
