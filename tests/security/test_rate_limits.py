"""Rate limits hold exactly under a burst of parallel requests, on the file cache a single machine uses."""

import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from school.settings import base
from tests.parallel import in_parallel


@pytest.fixture
def file_cache(settings, tmp_path):
    """The cache production uses without REDIS_URL, in a directory of its own."""
    if base.REDIS_URL:
        pytest.skip("REDIS_URL is set: production would use Redis, not files")
    settings.CACHES = {"default": {**base.CACHES["default"], "LOCATION": str(tmp_path / "cache")}}
    return cache


def test_parallel_increments_of_one_counter_are_all_counted(file_cache):
    def count(n):
        file_cache.add("counter", 0, timeout=60)
        return file_cache.incr("counter")

    assert sorted(in_parallel(40, count)) == list(range(1, 41))
    assert file_cache.get("counter") == 40


def test_parallel_adds_of_one_key_succeed_once(file_cache):
    assert in_parallel(20, lambda n: file_cache.add("lock", n, timeout=60)).count(True) == 1


def test_an_increment_keeps_the_counters_expiry(file_cache, monkeypatch):
    file_cache.add("window", 0, timeout=60)
    file_cache.incr("window")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 61)
    assert file_cache.get("window") is None
    with pytest.raises(ValueError):
        file_cache.incr("window")


def test_forty_parallel_api_signups_from_one_address_get_exactly_ten(file_cache, db):
    def sign_up(n):
        body = {"email": f"rush{n}@example.edu", "password": PASSWORD, "first_name": "R", "last_name": f"{n}"}
        return Client().post("/api/users/", body, content_type="application/json").status_code

    statuses = in_parallel(40, sign_up)
    assert (statuses.count(201), statuses.count(429)) == (10, 30), statuses
    assert User.objects.count() == 10


def test_parallel_wrong_passwords_for_one_account_are_checked_at_most_five_times(file_cache, db):
    UserFactory(email="ada@example.edu")

    def log_in(n):
        page = Client().post(reverse("account_login"), {"login": "ada@example.edu", "password": f"guess-{n}"})
        return "not correct" in page.content.decode()

    checked = in_parallel(20, log_in)
    assert 1 <= checked.count(True) <= 5, checked
