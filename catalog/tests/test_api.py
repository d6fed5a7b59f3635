import datetime

import pytest

from accounts.tests.factories import UserFactory
from catalog.tests.factories import CourseFactory, TermFactory
from school.api import pagination
from school.api.testing import ROLES, caller, error_of

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def term():
    return TermFactory(name="Fall 2026", slug="fall-2026")


@pytest.fixture
def course(term):
    course = CourseFactory(
        code="CS201", title="Data Structures", instructor="Grace Hopper", term=term, capacity=1, credits=4,
        meeting_days="MW", starts_at=datetime.time(9), ends_at=datetime.time(10, 30),
        description="Lists, trees and graphs.",
    )
    course.prerequisites.add(CourseFactory(code="CS101", term=term))
    return course



def test_anyone_can_search_filter_and_page_through_the_catalog(client, term, monkeypatch):
    other_term = TermFactory(slug="spring-2027")
    CourseFactory(code="MATH101", title="Calculus", instructor="Ada Lovelace", term=term, capacity=0)
    CourseFactory(code="CS102", title="Programming", instructor="Alan Turing", term=term)
    CourseFactory(code="CS103", title="Systems", instructor="Ken Thompson", term=other_term)

    by_instructor = client.get("/api/courses/", {"q": "lovelace"}).json()
    assert [c["code"] for c in by_instructor["results"]] == ["MATH101"]
    assert [c["code"] for c in client.get("/api/courses/", {"q": "cs 10"}).json()["results"]] == ["CS102", "CS103"]
    in_term = client.get("/api/courses/", {"term": "fall-2026", "open_seats": "true"}).json()
    assert [c["code"] for c in in_term["results"]] == ["CS102"]

    monkeypatch.setattr(pagination, "PAGE_SIZE", 2)
    first = client.get("/api/courses/", {"q": "c"}).json()
    assert (first["count"], len(first["results"]), first["previous"]) == (3, 2, None)
    assert first["next"] == "http://testserver/api/courses/?q=c&page=2"
    second = client.get(first["next"]).json()
    assert [c["code"] for c in second["results"]] == ["MATH101"]
    assert (second["next"], second["previous"]) == (None, "http://testserver/api/courses/?q=c&page=1")


def test_a_course_has_its_term_schedule_prerequisites_and_seats(client, course):
    course.__class__.objects.filter(pk=course.pk).update(enrolled_count=1, waitlist_count=1)

    data = client.get("/api/courses/CS201/").json()
    assert data["term"]["slug"] == "fall-2026" and data["term"]["name"] == "Fall 2026"
    assert data["schedule"] == {"days": "MW", "starts_at": "09:00:00", "ends_at": "10:30:00",
                                "display": "Mon/Wed 09:00–10:30"}
    assert data["prerequisites"] == ["CS101"]
    assert (data["capacity"], data["seats_left"], data["waitlist_count"]) == (1, 0, 1)
    assert (data["instructor"], data["credits"], data["description"]) == ("Grace Hopper", 4, "Lists, trees and graphs.")


@pytest.mark.parametrize(("query", "field"), [
    ({"q": "a\x00b"}, "q"),
    ({"page": "0"}, "page"),
    ({"page": "many"}, "page"),
    ({"open_seats": "perhaps"}, "open_seats"),
    ({"q": "x" * 101}, "q"),
])
def test_invalid_filters_are_a_400_naming_the_field(client, query, field):
    error = error_of(client.get("/api/courses/", query), 400)
    assert error["code"] == "invalid" and field in error["fields"]


def test_an_unknown_term_has_no_courses(client, course):
    response = client.get("/api/courses/", {"term": "no-such-term"})
    assert response.status_code == 200 and response.json()["count"] == 0


def test_an_operator_in_the_query_string_is_plain_text(client, course):
    response = client.get("/api/courses/", {"q": '{"$ne": null}', "term[$ne]": "x"})
    assert response.status_code == 200 and response.json()["count"] == 0


def test_an_unknown_course_is_a_json_404(client, db):
    assert error_of(client.get("/api/courses/NOPE999/"), 404)["code"] == "not_found"


def test_a_course_code_is_read_as_the_catalog_writes_it(client, course):
    assert client.get("/api/courses/cs201/").json()["code"] == "CS201"


@pytest.mark.parametrize("who", ROLES)
def test_anyone_may_read_the_catalog(client, course, who):
    reader = caller(who, anonymous=client, student=UserFactory())
    assert reader.get("/api/courses/").status_code == 200
    assert reader.get("/api/courses/CS201/").status_code == 200


# --- errors outside any endpoint, in the same shape ---------------------------------------------


def test_a_wrong_method_is_a_json_405(client, db):
    response = client.post("/api/courses/", {}, content_type="application/json")
    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert response["Allow"] == "GET"


@pytest.mark.parametrize("path", ["/api/nothing-here/", "/api/courses", "/api/courses/CS101/nope/"])
@pytest.mark.parametrize("debug", [False, True])
def test_an_address_no_endpoint_answers_is_a_json_404_even_when_debugging(client, db, settings, path, debug):
    settings.DEBUG = debug
    assert error_of(client.get(path), 404)["code"] == "not_found"


@pytest.mark.parametrize("debug", [False, True])
def test_a_bug_is_a_json_500_without_a_trace(client, db, settings, monkeypatch, caplog, debug):
    settings.DEBUG = debug

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("catalog.api.paginate", broken)
    response = client.get("/api/courses/")
    error = error_of(response, 500)
    assert error["code"] == "server_error" and b"secret internals" not in response.content
    assert "secret internals" in caplog.text
