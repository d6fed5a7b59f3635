"""Hostile input and headers on the server-rendered pages."""

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from catalog.tests.factories import CourseFactory

pytestmark = pytest.mark.usefixtures("db")

OPERATORS = ['{"$ne": null}', '{"$gt": ""}', "$where", "a.b", "$regex", ".*", '{"$where": "sleep(100)"}']


def test_every_page_sends_the_security_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_state_changing_forms_need_a_csrf_token(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    course = CourseFactory(code="CS101")
    strict.force_login(UserFactory())
    assert strict.post(reverse("enrollment:course_enroll", args=[course.code])).status_code == 403
    assert strict.post(reverse("account_logout")).status_code == 403
    assert strict.post(reverse("accounts:profile"), {"first_name": "X"}).status_code == 403


@pytest.mark.parametrize("value", OPERATORS)
def test_catalog_search_treats_operators_as_plain_text(client, value):
    CourseFactory(code="CS101", title="Programming")
    response = client.get(reverse("catalog:course_list"), {"q": value})
    assert response.status_code == 200
    assert list(response.context["courses"]) == []


@pytest.mark.parametrize("value", OPERATORS)
def test_catalog_filters_refuse_operators(client, value):
    CourseFactory(code="CS101")
    response = client.get(reverse("catalog:course_list"), {"term": value, "credits": value})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"term", "credits"}


def test_bracketed_and_dollar_parameters_are_ignored(client):
    CourseFactory(code="CS101")
    response = client.get("/courses/?q[$ne]=x&$where=1&term[$gt]=&credits.$gt=0")
    assert response.status_code == 200
    assert [c.code for c in response.context["courses"]] == ["CS101"]


@pytest.mark.parametrize("value", OPERATORS)
def test_login_treats_operators_as_a_wrong_email_or_password(client, value):
    UserFactory(email="ada@example.edu")
    response = client.post(reverse("account_login"), {"login": value, "password": value})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post(reverse("account_login"), {"login": "ada@example.edu", "password": value})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_login_ignores_a_json_body(client):
    UserFactory(email="ada@example.edu")
    response = client.post(
        reverse("account_login"), '{"login": {"$ne": null}, "password": {"$ne": null}}', content_type="application/json"
    )
    assert response.status_code in (200, 400) and "_auth_user_id" not in client.session


def test_course_codes_in_urls_are_matched_literally(client):
    CourseFactory(code="CS101")
    for code in ["$ne", ".*", "CS1.1", "{\"$gt\":\"\"}"]:
        assert client.get(f"/courses/{code}/").status_code == 404


def test_login_is_rate_limited_after_repeated_failures(client):
    UserFactory(email="ada@example.edu")
    statuses = [
        client.post(reverse("account_login"), {"login": "ada@example.edu", "password": "wrong"}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [200] * 5
    blocked = client.post(reverse("account_login"), {"login": "ada@example.edu", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert blocked.status_code == 429 or "Too many failed login attempts" in blocked.content.decode()


def test_signup_is_rate_limited_per_address(client):
    statuses = []
    for n in range(21):
        response = client.post(reverse("account_signup"), {"email": f"x{n}@example.edu"})
        statuses.append(response.status_code)
    assert statuses[-1] == 429
    assert not User.objects.exists()


def test_passwords_are_hashed_with_argon2_outside_tests(settings):
    from django.contrib.auth.hashers import check_password

    from school.settings import base

    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    user = User.objects.create_user("argon@example.edu", PASSWORD)
    stored = User.objects.get(pk=user.pk).password
    assert stored.startswith("argon2$argon2id$")
    assert check_password(PASSWORD, stored)
