"""The published OpenAPI schema, its docs page, and a bounded fuzz of every endpoint against it."""

import datetime
import re

import pytest
import schemathesis
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from accounts.models import ApiToken
from accounts.tests.factories import RegistrarFactory, UserFactory
from catalog.instructors import course_set_instructors
from catalog.tests.factories import CourseFactory
from enrollment.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.usefixtures("db")

ROLES = ["anonymous", "student", "staff"]


@pytest.fixture(params=ROLES)
def headers(request, db):
    """The role's credentials, and a course to enroll in that the student also
    teaches, so the teaching endpoints are fuzzed past their access check."""
    course = CourseFactory(
        code="CS101", capacity=1, meeting_days="MW", starts_at=datetime.time(14), ends_at=datetime.time(15, 15)
    )
    EnrollmentFactory(course=course)
    if request.param == "anonymous":
        return {}
    user = UserFactory() if request.param == "student" else RegistrarFactory()
    course_set_instructors(course=course, instructors=[user])
    return {"Authorization": f"Bearer {ApiToken.objects.issue(user=user, name='fuzz')[1]}"}


# Every check runs, positive-data acceptance included. Some refusals of
# schema-valid input are the API's contract, not a schema that says too little:
# a rule refusing on the current state (422: not eligible, past the drop
# deadline, a permit's last day already past, grades outside their window),
# the sign-up form's rules no schema can state (a taken address, a password
# Django's validators find too common or too close to the name), and a grade
# for a student number that is not on the course's roster, an instructor's
# address nobody has an account for, a hold on a student or of a kind that
# does not exist (400, per field).
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]
REFUSALS = {
    "POST /api/enroll/": ["422"],
    "DELETE /api/enrollments/{enrollment_id}/": ["422"],
    "POST /api/users/": ["400"],
    "PUT /api/teaching/{code}/grades/": ["400", "422"],
    "POST /api/teaching/{code}/permits/": ["400", "422"],
    "PUT /api/courses/{code}/instructors/": ["400"],
    "POST /api/holds/": ["400"],
}
CONFIG = SchemathesisConfig.from_dict({"operations": [
    {"include-name": name, "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, *statuses]}}}
    for name, statuses in REFUSALS.items()
]})
fuzzed = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)


@fuzzed.parametrize()
@settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_schema_says(case, headers):
    cache.clear()
    case.call_and_validate(headers=headers)


def test_the_schema_is_openapi_3_with_both_ways_to_authenticate(client):
    schema = client.get("/api/schema/").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/courses/", "/api/courses/{code}/", "/api/courses/{code}/eligibility/", "/api/enroll/",
        "/api/enrollments/", "/api/enrollments/{enrollment_id}/", "/api/enrollments/{enrollment_id}/withdraw/",
        "/api/swap/", "/api/users/", "/api/users/{user_id}/", "/api/holds/", "/api/holds/{hold_id}/lift/",
        "/api/courses/{code}/instructors/", "/api/teaching/", "/api/teaching/{code}/roster/",
        "/api/teaching/{code}/grades/", "/api/teaching/{code}/permits/",
    }
    assert schema["components"]["securitySchemes"]["BearerToken"] == {"type": "http", "scheme": "bearer"}
    assert schema["paths"]["/api/enroll/"]["post"]["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }


def test_the_docs_load_nothing_from_another_site(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.content.decode())
    assert assets and all(url.startswith("/static/") for url in assets), assets
    for url in assets:
        assert client.get(url).status_code == 200, url


def test_the_api_root_leads_to_the_docs(client):
    assert client.get("/api/")["Location"] == "/api/docs/"
