"""Test database set-up shared by every app's tests.

The embedded database has no transactions, so Django's TestCase cannot roll
a test back and would flush every collection and re-create content types and
permissions after each test. Instead the schema is migrated once per test
process and each test that uses the database empties, afterwards, only the
collections that hold data, leaving migrations, content types and
permissions in place. Tests ask for the database with the ``db`` fixture
(or a fixture that needs it), never with ``@pytest.mark.django_db``.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from pymongo.errors import OperationFailure

KEPT_COLLECTIONS = {"django_migrations", "django_content_type", "auth_permission"}


def empty_collections() -> None:
    database = connection.database
    for name in database.list_collection_names():
        if name not in KEPT_COLLECTIONS and not name.startswith("system."):
            database[name].delete_many({})


@pytest.fixture
def db(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        try:
            yield
        finally:
            empty_collections()


@pytest.fixture
def transactional_db(db):
    """Every test here is "transactional": the database has no transactions."""
    yield


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters and cached sessions must not leak from one test into the next."""
    yield
    # embedded_mongodb/tests also run without Django (-p no:django).
    if settings.configured:
        cache.clear()


@pytest.fixture
def aggregation_budget(db):
    """aggregation_budget(n): the embedded server holds at most n documents in one aggregation
    (mongoeco's own budget is 50,000) until the test ends. A real MongoDB has no such budget."""
    admin = connection.connection.admin
    was = []

    def lower(documents: int) -> None:
        try:
            was.append(admin.command({"setParameter": 1, "embeddedAggregationBudget": documents})["was"])
        except OperationFailure:
            pytest.skip("the aggregation budget is the embedded server's")

    yield lower
    if was:
        admin.command({"setParameter": 1, "embeddedAggregationBudget": was[0]})


@pytest.fixture
def registrar(db):
    """A staff member in the Registrar group, not a superuser."""
    from django.contrib.auth.models import Group

    from accounts.registrar_group import REGISTRAR_GROUP, setup_registrar_group
    from accounts.tests.factories import StaffFactory

    setup_registrar_group()
    user = StaffFactory(email="registrar@example.edu", first_name="Rita", last_name="Registrar")
    user.groups.add(Group.objects.get(name=REGISTRAR_GROUP))
    return user


@pytest.fixture
def registrar_client(client, registrar):
    client.force_login(registrar)
    return client


SCREENSHOTS = Path(__file__).resolve().parent / "test-artifacts" / "screenshots"


def pytest_terminal_summary(terminalreporter):
    """Say where the browser test left its screenshots (its own output is captured)."""
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.rglob("*.png")):
        terminalreporter.write_line(f"browser journey screenshots: {SCREENSHOTS}")
