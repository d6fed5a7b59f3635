"""Hostile and unlucky input gets a clear answer in the API's error shape or a page, never a 500."""

import datetime
import logging
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from catalog.tests.factories import CourseFactory
from school.api.testing import error_of, token_client
from tests.parallel import in_parallel

pytestmark = pytest.mark.usefixtures("db")

TAKEN = "A user is already registered with this email address."

FIVE_MEGABYTES = b'{"course": "' + b"x" * (5 * 1024 * 1024) + b'"}'
TOO_MANY_PARAMETERS = "&".join(f"p{n}=1" for n in range(django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))


# --- too much ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "student"])
@pytest.mark.parametrize("path", ["/api/enroll/", "/api/users/"])
def test_a_body_over_the_limit_is_a_413(path, who):
    client = Client() if who == "anonymous" else token_client(UserFactory())
    response = client.post(path, FIVE_MEGABYTES, content_type="application/json")
    if path == "/api/enroll/" and who == "anonymous":
        assert response.status_code == 401  # refused before the body is read
    else:
        assert error_of(response, 413)["code"] == "too_large"


def test_the_content_length_alone_is_enough_for_a_413():
    response = Client().generic("POST", "/api/users/", b"{}", content_type="application/json",
                                CONTENT_LENGTH=str(5 * 1024 * 1024))
    assert error_of(response, 413)["code"] == "too_large"


def test_too_many_query_parameters_is_a_400_in_the_apis_shape():
    assert error_of(Client().get(f"/api/courses/?{TOO_MANY_PARAMETERS}"), 400)["code"] == "too_many_parameters"


@pytest.mark.parametrize("debug", [False, True])
def test_the_catalog_page_with_too_many_parameters_is_one_plain_400(settings, debug):
    settings.DEBUG = debug
    response = Client(raise_request_exception=False).get(f"/courses/?{TOO_MANY_PARAMETERS}")
    assert response.status_code == 400
    page = response.content.decode()
    assert "more than 1000 parameters" in page and "Traceback" not in page


# --- two sign-ups with one address at the same moment ------------------------------------------------------


@pytest.mark.parametrize(("verification", "losers"), [("optional", 200), ("mandatory", 302)])
def test_parallel_page_sign_ups_with_one_email_make_one_account_and_answer_every_loser_normally(
    settings, verification, losers
):
    """A loser's answer is a taken address's: a field error, or with mandatory verification "check your email"."""
    settings.ACCOUNT_EMAIL_VERIFICATION = verification
    form = {"first_name": "Ada", "last_name": "L", "email": "ada@example.edu",
            "password1": PASSWORD, "password2": PASSWORD}
    results = in_parallel(8, lambda n: Client().post(reverse("account_signup"), form))
    assert sorted(getattr(result, "status_code", result) for result in results) == sorted([302] + [losers] * 7)
    for response in results:
        if response.status_code == 200:
            assert response.context["form"].errors == {"email": [TAKEN]}
    assert User.objects.filter(email="ada@example.edu").count() == 1


def test_parallel_api_sign_ups_with_one_email_make_one_account_and_tell_the_losers_it_is_taken():
    body = {"email": "ada@example.edu", "password": PASSWORD, "first_name": "Ada", "last_name": "L"}
    results = in_parallel(10, lambda n: Client().post("/api/users/", body, content_type="application/json"))
    statuses = sorted(getattr(result, "status_code", result) for result in results)
    assert statuses == [201] + [400] * 9, statuses
    for response in results:
        if response.status_code == 400:
            assert error_of(response, 400)["fields"] == {"email": [TAKEN]}
    assert User.objects.filter(email="ada@example.edu").count() == 1


# --- credentials in the log ---------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Basic Zm9vOmJhcg==", "Basic\tZm9vOmJhcg==", "Zm9vOmJhcg==",
                                    "Digest username=\"foo\", response=\"bar\"\r\nX-Forged: 1"])
def test_a_refused_authorization_scheme_is_logged_without_its_credentials(caplog, settings, header):
    settings.DEBUG = True  # ninja logged the header only in debug mode
    with caplog.at_level(logging.DEBUG):
        response = Client(headers={"Authorization": header}).get("/api/enrollments/")
    assert response.status_code == 401
    assert "API refused an Authorization header with" in caplog.text
    assert not any(secret in caplog.text for secret in ["Zm9v", "foo", "bar", "X-Forged"])
    assert all("\n" not in record.getMessage() for record in caplog.records)


# --- the API does what its schema says ----------------------------------------------------------------------


def test_meeting_times_match_the_schema(client):
    CourseFactory(code="CS101", meeting_days="MW", starts_at=datetime.time(14), ends_at=datetime.time(15, 15))
    schedule = client.get("/api/courses/CS101/").json()["schedule"]
    time_schema = client.get("/api/schema/").json()["components"]["schemas"]["ScheduleOut"]["properties"]["starts_at"]
    (string_schema,) = [option for option in time_schema["anyOf"] if option["type"] == "string"]
    assert "format" not in string_schema  # OpenAPI's "time" needs an offset, which a meeting time has not
    assert schedule["starts_at"] == "14:00:00" and re.search(string_schema["pattern"], schedule["starts_at"])


@pytest.mark.parametrize("path", ["/api/courses/", "/api/courses/CS101/", "/api/enrollments/"])
def test_head_is_answered_like_get_without_a_body(client, path):
    CourseFactory(code="CS101")
    api = token_client(UserFactory())
    get, head = api.get(path), api.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b"" and head["Content-Type"] == get["Content-Type"]
    assert int(head["Content-Length"]) == len(get.content)


def test_head_where_get_is_not_allowed_is_a_405():
    response = token_client(UserFactory()).head("/api/enroll/")
    assert response.status_code == 405 and response["Allow"] == "POST"
