import datetime

import pytest
from django.urls import reverse, set_script_prefix
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import course_url
from catalog.tests.factories import CourseFactory, TermFactory

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def term():
    return TermFactory(name="Fall 2026", slug="fall-2026")


def test_catalog_lists_courses_with_seats_left(client, term):
    CourseFactory(code="CS101", title="Programming", term=term, capacity=3)
    CourseFactory(code="MATH201", title="Linear Algebra", term=term, capacity=1, enrolled_count=1)
    response = client.get(reverse("catalog:course_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "CS101" in html and "3 of 3" in html
    assert "MATH201" in html and "Full" in html


def test_catalog_search_filters_and_orders(client, term):
    other = TermFactory(name="Spring 2027", slug="spring-2027")
    CourseFactory(code="CS101", title="Programming", instructor="Dr. Hopper", term=term, credits=3)
    CourseFactory(code="CS201", title="Data Structures", instructor="Dr. Knuth", term=term, credits=4)
    CourseFactory(code="HIST101", title="World History", instructor="Dr. Hopper", term=other, credits=3, capacity=0)

    def codes(**params):
        response = client.get(reverse("catalog:course_list"), {"term": "", **params})
        assert response.status_code == 200
        return [course.code for course in response.context["courses"]]

    assert codes(q="hopper") == ["CS101", "HIST101"]
    assert codes(q="cs 2") == ["CS201"]
    assert codes(q="STRUCT") == ["CS201"]
    assert codes(term="spring-2027") == ["HIST101"]
    assert codes(credits=4) == ["CS201"]
    assert codes(open_seats="on") == ["CS101", "CS201"]
    assert codes(order="-credits") == ["CS201", "CS101", "HIST101"]


def a_term(slug, *, opens_in_days, closes_in_days):
    now = timezone.now()
    return TermFactory(
        name=slug.replace("-", " ").title(), slug=slug,
        starts_on=timezone.localdate() + datetime.timedelta(days=closes_in_days),
        ends_on=timezone.localdate() + datetime.timedelta(days=closes_in_days + 100),
        enrollment_opens_at=now + datetime.timedelta(days=opens_in_days),
        enrollment_closes_at=now + datetime.timedelta(days=closes_in_days),
        drop_deadline=now + datetime.timedelta(days=closes_in_days + 10),
    )


def catalog_codes(client, **params):
    response = client.get(reverse("catalog:course_list"), params)
    assert response.status_code == 200
    return response, [course.code for course in response.context["courses"]]


def test_catalog_opens_on_the_term_whose_enrollment_is_open_with_all_terms_one_click_away(client):
    past = a_term("spring-2026", opens_in_days=-300, closes_in_days=-250)
    open_now = a_term("fall-2026", opens_in_days=-5, closes_in_days=10)
    later = a_term("spring-2027", opens_in_days=100, closes_in_days=150)
    for term, code in ((past, "HIST101"), (open_now, "CS101"), (later, "MATH101")):
        CourseFactory(code=code, term=term)

    response, codes = catalog_codes(client)
    assert codes == ["CS101"]
    html = response.content.decode()
    assert '<option value="fall-2026" selected>' in html
    assert 'href="?term=">All terms</a>' in html

    _response, codes = catalog_codes(client, term="")
    assert codes == ["CS101", "HIST101", "MATH101"]
    _response, codes = catalog_codes(client, term="spring-2026")
    assert codes == ["HIST101"]


def test_catalog_opens_on_the_next_term_to_open_never_on_a_past_one(client):
    past = a_term("spring-2026", opens_in_days=-300, closes_in_days=-250)
    next_one = a_term("fall-2026", opens_in_days=5, closes_in_days=20)
    after = a_term("spring-2027", opens_in_days=100, closes_in_days=150)
    for term, code in ((past, "HIST101"), (next_one, "CS101"), (after, "MATH101")):
        CourseFactory(code=code, term=term)
    assert catalog_codes(client)[1] == ["CS101"]

    next_one.courses.all().delete()
    next_one.delete()
    assert catalog_codes(client)[1] == ["MATH101"]


def test_catalog_shows_every_term_once_every_enrollment_window_has_closed(client):
    CourseFactory(code="HIST101", term=a_term("spring-2026", opens_in_days=-300, closes_in_days=-250))
    CourseFactory(code="CS101", term=a_term("fall-2025", opens_in_days=-500, closes_in_days=-450))
    response, codes = catalog_codes(client)
    assert codes == ["CS101", "HIST101"]
    assert "All terms" not in response.content.decode().split("</form>")[1]


def test_catalog_shows_errors_for_bad_filters_instead_of_failing(client, term):
    CourseFactory(term=term)
    response = client.get(reverse("catalog:course_list"), {"credits": "eleven", "term": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"credits", "term"}
    assert len(response.context["courses"]) == 1


def test_catalog_paginates(client, term):
    CourseFactory.create_batch(25, term=term)
    first = client.get(reverse("catalog:course_list"))
    second = client.get(reverse("catalog:course_list"), {"page": 2})
    assert len(first.context["courses"]) == 20 and len(second.context["courses"]) == 5
    assert 'rel="next"' in first.content.decode()


def test_catalog_query_count_does_not_grow_with_rows(client, term, django_assert_num_queries):
    CourseFactory.create_batch(3, term=term)
    client.force_login(UserFactory())
    client.get(reverse("catalog:course_list"))  # warms the cached session and term list
    # The user, the count, the page.
    with django_assert_num_queries(3):
        client.get(reverse("catalog:course_list"), {"term": term.slug})
    CourseFactory.create_batch(15, term=term)
    with django_assert_num_queries(3):
        client.get(reverse("catalog:course_list"), {"term": term.slug})


def test_unknown_course_is_a_404_page(client):
    response = client.get("/courses/NOPE999/")
    assert response.status_code == 404
    assert "could not find" in response.content.decode()


def test_a_course_code_in_the_address_is_read_as_the_catalog_writes_it(client, term):
    CourseFactory(code="CS101", title="Programming", term=term)
    response = client.get("/courses/cs%20101/")
    assert response.status_code == 200 and response.context["course"].code == "CS101"


@pytest.mark.parametrize("code", ["CS101", "CS101-SP", "a b?c#d%e~f&g", "ÉTÉ101"])
@pytest.mark.parametrize("script_prefix", ["/", "/registrar/"])
def test_course_urls_are_those_reverse_gives(code, script_prefix):
    set_script_prefix(script_prefix)
    try:
        assert course_url(code) == reverse("catalog:course_detail", args=[code])
    finally:
        set_script_prefix("/")
