import datetime

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import MAX_CREDITS, MIN_CREDITS, Course, Term
from catalog.tests.factories import CourseFactory, TermFactory
from school.admin_lists import allowed_range

pytestmark = pytest.mark.usefixtures("db")

COURSES = reverse("admin:catalog_course_changelist")
TERMS = reverse("admin:catalog_term_changelist")


def no_rows(prefix: str) -> dict:
    """The management form of a read-only inline: the rows are shown, never posted."""
    return {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}


def local(moment: datetime.datetime) -> dict:
    moment = timezone.localtime(moment)
    return {"0": moment.strftime("%Y-%m-%d"), "1": moment.strftime("%H:%M:%S")}


def term_form(**changes) -> dict:
    now = timezone.now()
    fields = {
        "name": "Spring 2027", "slug": "spring-2027", "starts_on": "2027-01-10", "ends_on": "2027-05-10",
        **{f"enrollment_opens_at_{i}": v for i, v in local(now).items()},
        **{f"enrollment_closes_at_{i}": v for i, v in local(now + datetime.timedelta(days=20)).items()},
        **{f"drop_deadline_{i}": v for i, v in local(now + datetime.timedelta(days=30)).items()},
        **{f"withdraw_deadline_{i}": v for i, v in local(now + datetime.timedelta(days=60)).items()},
        **no_rows("courses"), **no_rows("appointment_groups"),
    }
    return {**fields, **changes}


def course_form(course: Course, **changes) -> dict:
    fields = {
        "code": course.code, "title": course.title, "description": "", "instructor": course.instructor,
        "credits": course.credits, "term": course.term_id, "capacity": course.capacity,
        "meeting_days": "", "starts_at": "", "ends_at": "", **no_rows("enrollments"),
    }
    return {**fields, **changes}


def codes(response) -> list[str]:
    assert response.status_code == 200
    return sorted(course.code for course in response.context["cl"].result_list)


def test_terms_are_added_with_per_field_errors_and_list_their_courses(
    registrar_client, django_assert_max_num_queries
):
    add = reverse("admin:catalog_term_add")
    refused = registrar_client.post(add, term_form(ends_on="2027-01-01"))
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors == {"ends_on": ["A term must end after it starts."]}

    assert registrar_client.post(add, term_form()).status_code == 302
    term = Term.objects.get(slug="spring-2027")
    CourseFactory(code="CS101", term=term)
    CourseFactory(code="MATH201", term=TermFactory())

    link = f"{COURSES}?term__id__exact={term.pk}"

    def list_terms() -> int:
        """The term list links to each term's courses; returns its query count."""
        with django_assert_max_num_queries(6) as queries:
            listing = registrar_client.get(TERMS)
        assert f'href="{link}"' in listing.content.decode()
        return len(queries.captured_queries)

    assert codes(registrar_client.get(link)) == ["CS101"]
    few = list_terms()
    TermFactory.create_batch(3)
    assert list_terms() == few
    page = registrar_client.get(reverse("admin:catalog_term_change", args=[term.pk]))
    courses, _appointment_groups = page.context["inline_admin_formsets"]
    assert [form.original.code for form in courses] == ["CS101"] and not courses.has_change_permission
    assert LogEntry.objects.get(object_id=str(term.pk)).is_addition()


def test_course_list_shows_seats_and_searches_and_filters(registrar_client, django_assert_max_num_queries):
    fall, spring = TermFactory(name="Fall"), TermFactory(name="Spring")
    CourseFactory(code="CS101", title="Programming", instructor="Grace Hopper", term=fall, capacity=1,
                  enrolled_count=1, waitlist_count=1)
    CourseFactory(code="CS201", title="Data Structures", instructor="Donald Knuth", term=fall, credits=4)
    CourseFactory(code="HIST101", title="World History", instructor="Grace Hopper", term=spring)

    def list_queries() -> int:
        with django_assert_max_num_queries(5) as queries:
            assert registrar_client.get(COURSES).status_code == 200
        return len(queries.captured_queries)

    registrar_client.get(COURSES)  # the cached session and term list
    few = list_queries()
    listing = registrar_client.get(COURSES)
    assert listing.context["cl"].result_count == 3
    row = next(r for r in listing.context["cl"].result_list if r.code == "CS101")
    html = listing.content.decode()
    assert "1 / 1" in html and f'<td class="field-waitlist_count">{row.waitlist_count}</td>' in html
    assert codes(registrar_client.get(COURSES, {"q": "hopper"})) == ["CS101", "HIST101"]
    assert codes(registrar_client.get(COURSES, {"q": "structures"})) == ["CS201"]
    assert codes(registrar_client.get(COURSES, {"q": "hist101"})) == ["HIST101"]
    assert codes(registrar_client.get(COURSES, {"term__id__exact": spring.pk})) == ["HIST101"]
    assert codes(registrar_client.get(COURSES, {"credits": 4})) == ["CS201"]
    assert codes(registrar_client.get(COURSES, {"instructor": "Grace Hopper"})) == ["CS101", "HIST101"]

    CourseFactory.create_batch(4, term=spring)
    assert list_queries() == few


def test_the_course_list_cuts_its_page_before_it_reads_the_terms(registrar_client):
    """Joining every course of the catalog to its term before sorting them cost
    more than the page itself at 2,000 courses; the terms come from the cached list."""
    fall = TermFactory(name="Fall")
    CourseFactory.create_batch(3, term=fall)
    with CaptureQueriesContext(connection) as queries:
        listing = registrar_client.get(COURSES)
    pages = [q["sql"] for q in queries if q["sql"].startswith("db.catalog_course.aggregate(") and "$sort" in q["sql"]]
    assert pages and not [sql for sql in pages if "$lookup" in sql]
    assert {str(course.term) for course in listing.context["cl"].result_list} == {str(fall)}
    assert listing.content.decode().count(f'<td class="field-term nowrap">{fall}</td>') == 3


def test_the_course_list_sidebar_reads_no_course_to_offer_its_filters(registrar_client):
    """On registration day every enrollment empties the query cache: a sidebar that groups
    every course by credits or instructor costs more than the page it sits beside."""
    CourseFactory(code="CS101", term=TermFactory(name="Fall"), credits=4, instructor="Grace Hopper")
    CourseFactory(code="CS201", term=TermFactory(name="Spring"), credits=3, instructor="Donald Knuth")

    with CaptureQueriesContext(connection) as queries:
        listing = registrar_client.get(COURSES, {"_facets": "1"})
    assert listing.status_code == 200
    course_aggregations = [q["sql"] for q in queries if q["sql"].startswith("db.catalog_course.aggregate(")]
    assert course_aggregations and not [sql for sql in course_aggregations if "$group" in sql]
    filters = {str(spec.title): spec for spec in listing.context["cl"].filter_specs}
    assert list(filters) == ["term", "credits"]
    offered = [choice["display"] for choice in filters["credits"].choices(listing.context["cl"])]
    assert offered == ["All", *map(str, range(MIN_CREDITS, MAX_CREDITS + 1))]
    assert "(1)" not in listing.content.decode()  # no counts beside the choices


def test_the_course_list_filters_by_credits_and_refuses_a_credit_that_is_no_number(registrar_client):
    CourseFactory(code="CS101", credits=4)
    CourseFactory(code="CS201", credits=3)
    assert codes(registrar_client.get(COURSES, {"credits": "4"})) == ["CS101"]
    assert codes(registrar_client.get(COURSES, {"credits": "9"})) == []
    refused = registrar_client.get(COURSES, {"credits": "four"})
    assert refused.status_code == 302 and refused["Location"] == f"{COURSES}?e=1"
    assert registrar_client.get(refused["Location"]).status_code == 200


@pytest.mark.parametrize("field", ["capacity", "enrolled_count"])
def test_a_number_without_a_small_allowed_range_is_not_offered_as_filter_choices(field):
    with pytest.raises(ImproperlyConfigured, match="MaxValueValidator"):
        allowed_range(Course._meta.get_field(field))


def test_course_errors_are_shown_on_their_fields(registrar_client):
    course = CourseFactory(code="CS101", capacity=5)
    change = reverse("admin:catalog_course_change", args=[course.pk])

    response = registrar_client.post(change, course_form(course, credits=11, capacity=-1))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "credits": ["Ensure this value is less than or equal to 10."],
        "capacity": ["Ensure this value is greater than or equal to 0."],
    }

    response = registrar_client.post(change, course_form(course, credits=0, starts_at="10:00", meeting_days="MW"))
    assert response.context["adminform"].form.errors == {
        "credits": ["Ensure this value is greater than or equal to 1."],
        "ends_at": ["Give both a start and an end time, or neither."],
    }
    response = registrar_client.post(change, course_form(course, starts_at="10:00", ends_at="09:00"))
    assert response.context["adminform"].form.errors == {
        "ends_at": ["A class must end after it starts."],
        "meeting_days": ["Say on which days the class meets."],
    }
    course.refresh_from_db()
    assert (course.credits, course.capacity, course.starts_at) == (3, 5, None)


def test_saving_a_course_never_writes_back_stale_seat_counts(rf, registrar):
    course = CourseFactory(capacity=5)
    stale = Course.objects.get(pk=course.pk)
    Course.objects.filter(pk=course.pk).update(enrolled_count=F("enrolled_count") + 1)  # a seat taken meanwhile
    stale.title = "Renamed"
    request = rf.post("/")
    request.user = registrar

    class Form:
        changed_data = ["title"]

    admin.site.get_model_admin(Course).save_model(request, stale, Form(), change=True)

    course.refresh_from_db()
    assert (course.title, course.enrolled_count) == ("Renamed", 1)
