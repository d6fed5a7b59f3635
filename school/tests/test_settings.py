"""Which settings use what: production never a development tool, development its own."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from embedded_mongodb import launcher
from embedded_mongodb.files import state_path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "school.settings.production",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-for-this-test-only-0123456789",
    "DJANGO_ALLOWED_HOSTS": "registrar.example.edu",
    "MONGODB_URI": "mongodb://127.0.0.1:9/?directConnection=true",
}


def environment(**variables) -> dict:
    """This process's environment without any setting of the app, plus variables."""
    kept = {
        name: value for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "MONGODB_", "EMBEDDED_MONGODB_"))
    }
    return {**kept, **variables}


def python(code: str, *, cwd=ROOT, **variables) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=environment(**variables), capture_output=True, text=True, timeout=120
    )


def test_production_settings_refuse_to_start_without_mongodb_uri():
    result = python("import django; django.setup()", **{**PRODUCTION, "MONGODB_URI": ""})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: "
        "Set the MONGODB_URI environment variable: production runs on a real MongoDB."
    )


# What production loads: the settings, every app and middleware (through the
# WSGI application), the deployment checks, and gunicorn that serves it.
PRODUCTION_LOAD = """
import importlib.metadata, json, sys
import django
django.setup()
from django.core.management import call_command
call_command("check", "--deploy", "--fail-level", "WARNING")
import gunicorn.app.wsgiapp
import school.wsgi
by_module = importlib.metadata.packages_distributions()
loaded = {dist for name in list(sys.modules) for dist in by_module.get(name.partition(".")[0], [])}
print(json.dumps(sorted(loaded)))
"""


def requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(normalized(re.split(r"[=<>!~\[ ]", line)[0]))
    return names


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_production_loads_only_what_requirements_txt_installs():
    result = python(PRODUCTION_LOAD, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    loaded = {normalized(name) for name in json.loads(result.stdout.splitlines()[-1])}
    assert {"django", "django-mongodb-backend", "pymongo", "whitenoise", "gunicorn", "django-allauth"} <= loaded
    assert loaded <= requirement_names(ROOT / "requirements.txt")
    development = requirement_names(ROOT / "requirements-dev.txt")
    assert {"mongoeco", "faker", "pytest", "factory-boy", "ruff"} <= development
    assert not development & requirement_names(ROOT / "requirements.txt")


@pytest.fixture
def settings_with_a_dot_env(tmp_path):
    """A copy of the settings package whose checkout has a .env file."""
    settings = tmp_path / "school" / "settings"
    shutil.copytree(ROOT / "school" / "settings", settings, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "school" / "__init__.py").touch()
    (tmp_path / ".env").write_text("DJANGO_SECRET_KEY=from-dot-env\nMONGODB_URI=mongodb://dot-env.example:27017/\n")
    return tmp_path


def test_production_settings_never_read_a_dot_env_file(settings_with_a_dot_env):
    def settings(module, **variables):
        return python(
            f"import {module} as s; print(s.SECRET_KEY, s.MONGODB_URI)", cwd=settings_with_a_dot_env,
            PYTHONPATH=f"{settings_with_a_dot_env}:{ROOT}", **variables,
        )

    development = settings("school.settings.local")
    assert development.stdout.split() == ["from-dot-env", "mongodb://dot-env.example:27017/"], development.stderr
    without_secret = settings("school.settings.production")
    assert "Set the DJANGO_SECRET_KEY environment variable" in without_secret.stderr
    without_uri = settings("school.settings.production", DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"])
    assert "Set the MONGODB_URI environment variable" in without_uri.stderr


def test_a_command_says_in_one_line_that_a_stranger_holds_the_embedded_servers_port(tmp_path):
    data_path, stranger_path = tmp_path / "registrar.sqlite3", tmp_path / "stranger.sqlite3"
    try:
        launcher.ensure_server(stranger_path)
        stranger = launcher.running_server(stranger_path)
        state_path(data_path).write_text(json.dumps(stranger))
        result = subprocess.run(
            [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True, timeout=120,
            env=environment(
                DJANGO_SETTINGS_MODULE="school.settings.local", DJANGO_SECRET_KEY="test", MONGODB_URI="",
                EMBEDDED_MONGODB_PATH=str(data_path),
            ),
        )
    finally:
        state_path(data_path).unlink(missing_ok=True)
        launcher.stop_server(stranger_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: The embedded MongoDB server could not start: 127.0.0.1:{stranger['port']} refuses the credentials "
        f"of {data_path}: another program holds the embedded server's port. Stop it, or delete "
        f"{state_path(data_path)} to start a new server."
    ]
