"""One setting (DJANGO_NUM_PROXIES) says where the client's address is, for every rate limit and the log."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.usefixtures("db")

PROXY = "10.0.0.1"


def behind_proxy(forwarded_for: str) -> Client:
    """A client whose requests reach the app through the proxy at PROXY, which says they came from forwarded_for."""
    return Client(REMOTE_ADDR=PROXY, headers={"X-Forwarded-For": forwarded_for})


def api_signups(client: Client, count: int) -> list[int]:
    # An empty body is refused after the rate limit has counted it: cheap and enough.
    return [client.post("/api/users/", {}, content_type="application/json").status_code for _ in range(count)]


def failed_logins(client: Client, emails: range) -> list[bool]:
    """For each wrong password (each for another account), whether allauth refused it as too many."""
    return [
        "Too many failed login attempts" in client.post(
            reverse("account_login"), {"login": f"nobody{n}@example.edu", "password": "wrong"}
        ).content.decode()
        for n in emails
    ]


def test_two_clients_behind_one_trusted_proxy_are_limited_separately(settings):
    settings.NUM_PROXIES = 1
    first, second = behind_proxy("203.0.113.5"), behind_proxy("203.0.113.6")
    assert api_signups(first, 11) == [400] * 10 + [429]
    assert api_signups(second, 1) == [400]
    assert failed_logins(first, range(11)) == [False] * 10 + [True]
    assert failed_logins(second, range(11, 12)) == [False]


def test_what_a_client_writes_before_the_trusted_proxy_is_ignored(settings):
    settings.NUM_PROXIES = 1
    statuses = [api_signups(behind_proxy(f"198.51.100.{n}, 203.0.113.5"), 1)[0] for n in range(11)]
    assert statuses == [400] * 10 + [429]


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(settings):
    settings.NUM_PROXIES = 0
    statuses = [api_signups(Client(headers={"X-Forwarded-For": f"198.51.100.{n}"}), 1)[0] for n in range(11)]
    assert statuses == [400] * 10 + [429]
    logins = [failed_logins(Client(headers={"X-Forwarded-For": f"198.51.100.{n}"}), range(n, n + 1))[0]
              for n in range(11)]
    assert logins == [False] * 10 + [True]


@pytest.mark.parametrize(("forwarded_for", "client_address"), [
    ("203.0.113.5", "203.0.113.5"),
    ("198.51.100.1, 203.0.113.5", "203.0.113.5"),
    ("", PROXY),
    ("not-an-address", PROXY),
])
def test_the_request_log_names_the_client_behind_the_proxy(settings, caplog, forwarded_for, client_address):
    settings.NUM_PROXIES = 1
    with caplog.at_level(logging.INFO, logger="registrar.requests"):
        behind_proxy(forwarded_for).get("/courses/")
    (line,) = [record.getMessage() for record in caplog.records if record.name == "registrar.requests"]
    assert line.startswith(f"{client_address} GET /courses/ 200")
