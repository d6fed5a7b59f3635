"""The catalog's kept rows and filter bar always show what is true now, for whoever asks."""

import pytest
from django.urls import set_script_prefix
from django.utils import translation

from catalog.fragments import _course_row, _filter_bar
from catalog.models import Course
from catalog.tests.factories import CourseFactory, TermFactory

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def term():
    return TermFactory(name="Fall 2026", slug="fall-2026")


def catalog_html(client, **params) -> str:
    response = client.get("/courses/", {"term": "fall-2026", **params})
    assert response.status_code == 200
    return response.content.decode()


def test_a_kept_row_shows_the_course_as_it_is_now(client, term):
    CourseFactory(code="CS101", title="Programming", term=term, capacity=3, instructor="")
    assert "3 of 3" in catalog_html(client) and ">Programming<" in catalog_html(client)

    # Written the way enrollments write it: no signal, no save().
    Course.objects.filter(code="CS101").update(enrolled_count=1, waitlist_count=2, title="Programming <I>")
    html = catalog_html(client)
    assert "2 of 3" in html and "2 waiting" in html and ">Programming &lt;I&gt;<" in html
    assert "3 of 3" not in html

    Course.objects.filter(code="CS101").update(enrolled_count=3)
    assert '<span class="badge full">Full</span>' in catalog_html(client)


def test_a_kept_row_links_under_the_script_prefix_of_the_request(client, term):
    CourseFactory(code="CS101", term=term)
    assert 'href="/courses/CS101/"' in catalog_html(client)
    set_script_prefix("/registrar/")  # as a WSGI server mounted under /registrar/ sets it
    try:
        assert 'href="/registrar/courses/CS101/"' in catalog_html(client)
    finally:
        set_script_prefix("/")


def test_the_kept_filter_bar_shows_each_search_with_its_own_values_and_errors(client, term):
    CourseFactory(term=term)
    assert 'name="q" value="ada"' in catalog_html(client, q="ada")
    html = catalog_html(client, q="grace", credits="4")
    assert 'name="q" value="grace"' in html and '<option value="4" selected>' in html and "ada" not in html
    html = catalog_html(client, credits="eleven")
    assert 'id="id_credits_error"' in html and 'aria-invalid="true"' in html
    assert 'aria-invalid="true"' not in catalog_html(client, credits="4")


def test_the_kept_filter_bar_lists_a_term_added_since(client, term):
    CourseFactory(term=term)
    assert "Spring 2027" not in catalog_html(client)
    TermFactory(name="Spring 2027", slug="spring-2027")
    assert '<option value="spring-2027">Spring 2027</option>' in catalog_html(client)


def test_kept_fragments_are_what_their_templates_render_afresh(client, term):
    CourseFactory.create_batch(3, term=term)
    _course_row.cache_clear()
    _filter_bar.cache_clear()
    fresh = catalog_html(client, q="course", order="-credits")
    assert catalog_html(client, q="course", order="-credits") == fresh
    assert _course_row.cache_info().hits == 3 and _filter_bar.cache_info().hits == 1


def test_fragments_are_kept_per_language(client, term):
    CourseFactory(term=term)
    catalog_html(client)
    rows, bars = _course_row.cache_info().misses, _filter_bar.cache_info().misses
    catalog_html(client)
    with translation.override("fr"):
        catalog_html(client)
    assert (_course_row.cache_info().misses, _filter_bar.cache_info().misses) == (rows + 1, bars + 1)
