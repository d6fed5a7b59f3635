"""Helpers for tests of the API."""

from django.test import Client

from accounts.models import ApiToken


def token_client(user) -> Client:
    """A test client that calls the API as user with a fresh API token, as a script would."""
    _token, key = ApiToken.objects.issue(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {key}"})


def error_of(response, status: int) -> dict:
    """The body's error object, after checking the status and that the body is only that."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    return body["error"]


ROLES = ["anonymous", "student", "other student", "staff"]


def caller(who: str, *, anonymous: Client, student) -> Client:
    """The client for one of ROLES in a permission test; student owns the data."""
    from accounts.tests.factories import RegistrarFactory, UserFactory

    if who == "anonymous":
        return anonymous
    user = {"student": lambda: student, "other student": UserFactory, "staff": RegistrarFactory}[who]()
    return token_client(user)
