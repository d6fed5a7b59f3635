import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Course
from catalog.tests.factories import CourseFactory, TermFactory
from enrollment.models import Enrollment, EnrollmentEvent
from enrollment.services import enrollment_create
from enrollment.tests.factories import EnrollmentFactory
from school.api import throttling
from school.api.testing import ROLES, caller, error_of, token_client


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


@pytest.fixture
def api(student):
    return token_client(student)


def enroll(client, code):
    return client.post("/api/enroll/", {"course": code}, content_type="application/json")


def test_enrolling_through_the_api_goes_through_the_services(api, student, course):
    response = enroll(api, "CS101")
    assert response.status_code == 201
    data = response.json()
    enrollment = Enrollment.objects.get(student=student, course=course)
    assert data["id"] == str(enrollment.pk)
    assert (data["course"], data["term"], data["status"], data["waitlist_position"]) == (
        "CS101", "fall-2026", "enrolled", None)
    assert EnrollmentEvent.objects.get(enrollment=enrollment).via == "api"


def test_a_full_course_puts_the_caller_on_its_waitlist(api, course):
    course.capacity = 0
    course.save()
    data = enroll(api, "CS101").json()
    assert (data["status"], data["waitlist_position"]) == ("waitlisted", 1)


def test_enrolling_twice_is_a_409(api, course):
    enroll(api, "CS101")
    error = error_of(enroll(api, "CS101"), 409)
    assert error["code"] == "already_enrolled"
    assert [r["code"] for r in error["reasons"]] == ["already_enrolled"]


def test_a_refusal_by_the_rules_is_a_422_with_every_reason(api, term, course):
    advanced = CourseFactory(code="CS301", term=term)
    advanced.prerequisites.add(course)
    term.enrollment_closes_at = timezone.now() - datetime.timedelta(minutes=1)
    term.save()
    error = error_of(enroll(api, "CS301"), 422)
    assert error["code"] == "not_eligible"
    assert [r["code"] for r in error["reasons"]] == ["enrollment_closed", "prerequisite_missing"]
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"course": {"$ne": None}}, 400, "invalid"),
    ({"course": ["CS101"]}, 400, "invalid"),
    ({"course": 101}, 400, "invalid"),
    ({}, 400, "invalid"),
    ({"course": "NOPE999"}, 404, "not_found"),
])
def test_only_a_plain_course_code_is_looked_up(api, course, body, status, code):
    response = api.post("/api/enroll/", body, content_type="application/json")
    assert error_of(response, status)["code"] == code
    assert not Enrollment.objects.exists()


def test_an_operator_in_the_body_is_named_in_fields(api, course):
    error = error_of(api.post("/api/enroll/", {"course": {"$gt": ""}}, content_type="application/json"), 400)
    assert list(error["fields"]) == ["course"]


@pytest.mark.parametrize("body", ['{"course": ', "course=CS101", "[1, 2"])
def test_a_body_that_is_not_json_is_a_400(api, course, body):
    response = api.post("/api/enroll/", body, content_type="application/json")
    assert error_of(response, 400)["code"] == "malformed_body"


def test_the_list_holds_the_callers_enrollments_only(api, student, term, course):
    enrollment_create(student=student, course=course)
    mine_waiting = CourseFactory(code="BIO100", term=term, capacity=0)
    enrollment_create(student=UserFactory(), course=mine_waiting)
    enrollment_create(student=student, course=mine_waiting)
    EnrollmentFactory(course=CourseFactory(code="ART100", term=term))  # someone else's

    data = api.get("/api/enrollments/").json()
    assert sorted((e["course"], e["status"], e["waitlist_position"]) for e in data) == [
        ("BIO100", "waitlisted", 2), ("CS101", "enrolled", None),
    ]


def test_dropping_an_own_enrollment(api, student, course):
    enrollment = enrollment_create(student=student, course=course)
    response = api.delete(f"/api/enrollments/{enrollment.pk}/")
    assert response.status_code == 200 and response.json()["status"] == "dropped"
    assert Enrollment.objects.get(pk=enrollment.pk).status == "dropped"
    assert EnrollmentEvent.objects.filter(enrollment=enrollment, via="api", to_status="dropped").exists()
    assert error_of(api.delete(f"/api/enrollments/{enrollment.pk}/"), 409)["code"] == "not_enrolled"


def test_someone_elses_enrollment_is_not_found_and_untouched(api, course):
    theirs = enrollment_create(student=UserFactory(), course=course)
    error = error_of(api.delete(f"/api/enrollments/{theirs.pk}/"), 404)
    assert error["code"] == "not_found" and str(theirs.pk) not in error["message"]
    assert Enrollment.objects.get(pk=theirs.pk).status == "enrolled"


def test_a_malformed_enrollment_id_is_a_400(api, db):
    assert error_of(api.delete("/api/enrollments/not-an-id/"), 400)["fields"] == {
        "enrollment_id": ["String should match pattern '^[0-9a-f]{24}$'"]
    }


def test_dropping_after_the_deadline_is_a_422(api, student, term, course):
    enrollment = enrollment_create(student=student, course=course)
    term.drop_deadline = timezone.now() - datetime.timedelta(minutes=1)
    term.save()
    assert error_of(api.delete(f"/api/enrollments/{enrollment.pk}/"), 422)["code"] == "drop_deadline_passed"


def test_writes_are_rate_limited_per_user(api, student, monkeypatch, db):
    monkeypatch.setattr(throttling.WRITES, "count", 2)
    assert [enroll(api, "NOPE999").status_code for _ in range(2)] == [404, 404]
    limited = enroll(api, "NOPE999")
    assert error_of(limited, 429)["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Another student has a count of their own.
    assert enroll(token_client(UserFactory()), "NOPE999").status_code == 404


def test_session_writes_need_the_csrf_token(student, course):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(student)
    browser.get("/profile/")  # sets the CSRF cookie, as any page does
    error = error_of(enroll(browser, "CS101"), 403)
    assert error["code"] == "csrf_failed"
    token = browser.cookies["csrftoken"].value
    response = browser.post("/api/enroll/", {"course": "CS101"}, content_type="application/json",
                            headers={"X-CSRFToken": token})
    assert response.status_code == 201


@pytest.mark.parametrize("who", ROLES)
def test_permissions(client, student, course, who):
    """Every endpoint acts on the caller's own enrollments: nobody reaches another's."""
    enrollment = enrollment_create(student=student, course=course)
    api = caller(who, anonymous=client, student=student)
    listed = api.get("/api/enrollments/")
    dropped = api.delete(f"/api/enrollments/{enrollment.pk}/")
    enrolled = enroll(api, "CS101")
    if who == "anonymous":
        assert (listed.status_code, dropped.status_code, enrolled.status_code) == (401, 401, 401)
    elif who == "student":
        assert (listed.status_code, dropped.status_code, enrolled.status_code) == (200, 200, 201)
    else:
        assert (listed.status_code, listed.json()) == (200, [])
        assert dropped.status_code == 404
        assert enrolled.status_code == 201
        assert Enrollment.objects.get(pk=enrollment.pk).status == "enrolled"


def test_a_failure_outside_the_endpoint_is_still_a_json_500(api, course, settings, monkeypatch):
    settings.DEBUG = True

    def broken(self, request):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(throttling.RateLimit, "allow_request", broken)
    response = enroll(api, "CS101")
    assert error_of(response, 500)["code"] == "server_error" and b"cache is down" not in response.content


# --- eligibility --------------------------------------------------------------------------------


@pytest.fixture
def data_structures(term, course):
    """CS201: one seat, and CS101 (the course fixture) to pass first."""
    advanced = CourseFactory(code="CS201", title="Data Structures", term=term, capacity=1)
    advanced.prerequisites.add(course)
    return advanced


def test_eligibility_lists_every_reason_for_the_caller(data_structures):
    Course.objects.filter(pk=data_structures.pk).update(enrolled_count=1)
    data = token_client(UserFactory()).get("/api/courses/CS201/eligibility/").json()
    assert data["course"] == "CS201" and data["can_enroll"] is False and data["will_waitlist"] is True
    assert [(r["code"], r["blocking"]) for r in data["reasons"]] == [
        ("prerequisite_missing", True), ("course_full", False),
    ]


def test_eligibility_when_nothing_stands_in_the_way(client, term):
    CourseFactory(code="ART100", term=term)
    client.force_login(UserFactory())
    data = client.get("/api/courses/ART100/eligibility/").json()
    assert data == {"course": "ART100", "can_enroll": True, "will_waitlist": False, "reasons": []}


def test_eligibility_after_enrollment_closed(db):
    closed = TermFactory(slug="closed", enrollment_closes_at=timezone.now() - datetime.timedelta(days=1))
    CourseFactory(code="OLD100", term=closed)
    data = token_client(UserFactory()).get("/api/courses/OLD100/eligibility/").json()
    assert [r["code"] for r in data["reasons"]] == ["enrollment_closed"]


@pytest.mark.parametrize("who", ROLES)
def test_eligibility_is_for_signed_in_callers(client, student, data_structures, who):
    response = caller(who, anonymous=client, student=student).get("/api/courses/CS201/eligibility/")
    assert response.status_code == (401 if who == "anonymous" else 200)


def test_anonymous_eligibility_is_a_401_asking_for_a_token(client, data_structures):
    response = client.get("/api/courses/CS201/eligibility/")
    assert error_of(response, 401)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_course_code_is_read_as_the_catalog_writes_it(api, course):
    assert enroll(api, "cs 101").json()["course"] == "CS101"
