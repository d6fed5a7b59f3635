"""Helpers for tests of the API."""

from django.test import Client

from accounts.models import ApiToken


def token_client(user) -> Client:
    """A test client that calls the API as user with a fresh API token, as a script would."""
    _token, key = ApiToken.objects.issue(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {key}"})
