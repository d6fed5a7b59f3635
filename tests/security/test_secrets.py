"""Secrets and internal addresses never reach a visitor; operators see URIs with the password masked."""

import contextlib
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.test import Client
from django.urls import path, reverse

from school.redaction import ExceptionReporterFilter, loggable, mask_uri

PASSWORD = "s3cr@t:pa/ss%word"
# The password as a URI carries it, percent-encoded (pymongo parses it) or
# written raw (pymongo cannot, and the URI used to be shown whole).
ENCODED = "s3cr%40t%3Apa%2Fss%25word"
UNPARSEABLE = f"mongodb://app:{ENCODED}@127.0.0.1:9/?directConnection=true&bogusOption=1"
SECRETS = [PASSWORD, ENCODED, "s3cr"]


@pytest.mark.parametrize(("uri", "masked"), [
    (f"mongodb://app:{ENCODED}@db.example.edu:27017/registrar?authSource=admin",
     "mongodb://app:****@db.example.edu:27017/registrar?authSource=admin"),
    (f"mongodb://app:{PASSWORD}@db1.example.edu,db2.example.edu/registrar",
     "mongodb://app:****@db1.example.edu,db2.example.edu/registrar"),
    (f"mongodb+srv://app:{PASSWORD}@cluster0.example.mongodb.net/?retryWrites=true",
     "mongodb+srv://app:****@cluster0.example.mongodb.net/?retryWrites=true"),
    (UNPARSEABLE, "mongodb://app:****@127.0.0.1:9/?directConnection=true&bogusOption=1"),
    ("mongodb://db.example.edu/?tls=true&tlsCertificateKeyFilePassword=s3cr",
     "mongodb://db.example.edu/?tls=true&tlsCertificateKeyFilePassword=****"),
    (f"app:{PASSWORD}@db.example.edu", "app:****@db.example.edu"),
    ("mongodb://127.0.0.1:27017/?directConnection=true", "mongodb://127.0.0.1:27017/?directConnection=true"),
    ("redis://:s3cr@redis.example.edu:6379/0", "redis://:****@redis.example.edu:6379/0"),
])
def test_a_uri_is_masked_down_to_its_user_and_hosts(uri, masked):
    assert mask_uri(uri) == masked
    assert not any(secret in mask_uri(uri) for secret in SECRETS)


@contextlib.contextmanager
def unreachable_database(uri: str, django_db_blocker, monkeypatch):
    """The default connection replaced, for the block, by one to a MongoDB that does not answer."""
    from django_mongodb_backend.base import DatabaseWrapper

    # MongoClients are pooled per alias on the class: give the broken
    # connection a pool of its own.
    monkeypatch.setattr(DatabaseWrapper, "_connection_pools", {})
    broken = DatabaseWrapper({
        **connection.settings_dict, "HOST": uri,
        "OPTIONS": {"serverSelectionTimeoutMS": 300, "connectTimeoutMS": 300},
    })
    original = connections["default"]
    connections["default"] = broken
    try:
        with django_db_blocker.unblock():
            yield
    finally:
        broken.close()
        connections["default"] = original


@pytest.mark.filterwarnings("ignore:Unknown option")
@pytest.mark.parametrize("uri", ["mongodb://127.0.0.1:9/?directConnection=true", UNPARSEABLE])
def test_an_outage_tells_visitors_to_wait_and_names_no_host_port_or_password(
    client, django_db_blocker, monkeypatch, caplog, uri
):
    with unreachable_database(uri, django_db_blocker, monkeypatch):
        health = client.get("/healthz")
        page = client.get(reverse("catalog:course_list"))
        api = client.get("/api/courses/")
    message = "The database is not answering; try again in a minute."
    assert health.status_code == 503 and health.json() == {"status": "unavailable", "database": message}
    assert page.status_code == 503 and page["Retry-After"] == "5" and message in page.content.decode()
    assert api.status_code == 503 and api.json()["error"] == {"code": "database_unavailable", "message": message}
    for response in (health, page, api):
        body = response.content.decode()
        assert not any(hidden in body for hidden in ["127.0.0.1", ":9", "mongodb", "app:", *SECRETS])
    # The operator's reason is in the log, with the address but not the password.
    assert "Cannot reach MongoDB at" in caplog.text and "127.0.0.1:9" in caplog.text
    assert not any(secret in caplog.text for secret in SECRETS)


def test_refused_credentials_are_an_outage_for_visitors_and_a_clear_line_for_operators(
    client, django_db_blocker, monkeypatch, caplog
):
    """What a running app meets when another server took its database's address after a restart."""
    from pymongo.uri_parser import parse_uri

    host, port = parse_uri(connection.settings_dict["HOST"])["nodelist"][0]
    stranger = f"mongodb://app:{ENCODED}@{host}:{port}/?directConnection=true&authSource=admin"
    with unreachable_database(stranger, django_db_blocker, monkeypatch):
        page = client.get(reverse("catalog:course_list"))
        api = client.get("/api/courses/")
    assert page.status_code == 503 and api.status_code == 503
    assert "refused the credentials" in caplog.text
    assert not any(secret in caplog.text + page.content.decode() for secret in SECRETS)


def test_a_command_on_an_unparseable_uri_prints_it_masked():
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--check"], capture_output=True, text=True, timeout=60,
        env={**os.environ, "MONGODB_URI": UNPARSEABLE, "MONGODB_TIMEOUT_MS": "300"},
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        "Error: Cannot reach MongoDB at mongodb://app:****@127.0.0.1:9/"
    )
    assert not any(secret in result.stdout + result.stderr for secret in SECRETS)


def test_check_db_prints_the_uri_masked(db, monkeypatch, capsys):
    from django.core.management import call_command

    # Only the printed HOST is swapped: the connection itself is already open.
    monkeypatch.setitem(connection.settings_dict, "HOST", f"mongodb://app:{ENCODED}@db.example.edu/registrar")
    call_command("check_db")
    out = capsys.readouterr().out
    assert "at mongodb://app:****@db.example.edu/registrar, database" in out
    assert not any(secret in out for secret in SECRETS)


def leaky_view(request):
    uri = django_settings.MONGODB_URI
    database = {"HOST": uri, "NAME": "registrar"}
    raise RuntimeError(f"could not use {database['NAME']}")


urlpatterns = [path("leaky/", leaky_view)]


@pytest.mark.urls(__name__)
def test_the_debug_page_masks_the_database_uri_in_settings_and_variables(settings):
    settings.DEBUG = True
    settings.MONGODB_URI = f"mongodb://app:{ENCODED}@db.example.edu/registrar"
    response = Client(raise_request_exception=False).get("/leaky/")
    page = response.content.decode()
    assert response.status_code == 500 and "could not use registrar" in page
    assert "mongodb://app:****@db.example.edu/registrar" in page
    assert not any(secret in page for secret in SECRETS)


def test_the_debug_page_masks_the_databases_host(settings):
    host = f"mongodb://app:{ENCODED}@db.example.edu/registrar"
    databases = {"default": {**django_settings.DATABASES["default"], "HOST": host, "PASSWORD": "s3cr"}}
    cleansed = ExceptionReporterFilter().cleanse_setting("DATABASES", databases)["default"]
    assert cleansed["HOST"] == "mongodb://app:****@db.example.edu/registrar"
    assert cleansed["PASSWORD"] == ExceptionReporterFilter.cleansed_substitute


@pytest.mark.parametrize(("url", "logged"), [
    ("/courses/?q=ada%40example.edu&token=rgs_secret", "GET /courses/ 200"),
    ("/accounts/confirm-email/s3cr-confirmation-key/", "GET /accounts/confirm-email/<key>/"),
    ("/accounts/password/reset/key/1a-s3cr-reset-key/", "GET /accounts/password/reset/key/1a-<key>/"),
    ("/courses/%0a127.0.0.1%20GET%20/admin/%20200/", r"GET /courses/\n127.0.0.1 GET /admin/ 200/ 404"),
])
def test_the_request_log_drops_query_strings_and_keys(client, db, caplog, url, logged):
    with caplog.at_level(logging.INFO, logger="registrar.requests"):
        client.get(url)
    (line,) = [record.getMessage() for record in caplog.records if record.name == "registrar.requests"]
    assert logged in line
    assert not any(secret in line for secret in ["s3cr", "ada", "rgs_", "\n"])


def test_control_characters_are_escaped_for_the_log():
    assert loggable("Basic\r\nX-Injected: 1\x1b[31m") == r"Basic\r\nX-Injected: 1\x1b[31m"
    assert loggable("élève") == "élève"
