"""The published OpenAPI schema, its docs page, and a bounded fuzz of every endpoint against it."""

import re

import pytest
import schemathesis
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken
from accounts.tests.factories import UserFactory
from catalog.tests.factories import CourseFactory

pytestmark = pytest.mark.usefixtures("db")

# Not "positive data acceptance": a schema cannot say which email is taken or
# which term slug exists, so schema-valid input may rightly be refused.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def student_key(db):
    student = UserFactory()
    CourseFactory(code="CS101", capacity=1)
    return ApiToken.objects.issue(user=student, name="fuzz")[1]


fuzzed = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@fuzzed.parametrize()
@settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_endpoint_answers_as_its_schema_says(case, student_key):
    cache.clear()
    case.call_and_validate(headers={"Authorization": f"Bearer {student_key}"}, checks=CHECKS)


def test_the_schema_is_openapi_3_with_both_ways_to_authenticate(client):
    schema = client.get("/api/schema/").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/courses/", "/api/courses/{code}/", "/api/courses/{code}/eligibility/", "/api/enroll/",
        "/api/enrollments/", "/api/enrollments/{enrollment_id}/", "/api/swap/", "/api/users/", "/api/users/{user_id}/",
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
