import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from accounts.models import User
from catalog.models import Course
from catalog.tests.factories import TermFactory

pytestmark = pytest.mark.usefixtures("db")
# A copy of shared/legacy-flask-export: the old Flask app's real export.
LEGACY_EXPORT = Path(__file__).resolve().parent / "fixtures" / "legacy-flask-export"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(*args):
    err = StringIO()
    with pytest.raises(CommandError) as error:
        call_command(*args, stdout=StringIO(), stderr=err)
    return str(error.value), err.getvalue().splitlines()


def test_import_legacy_maps_the_flask_export_and_a_second_run_changes_nothing(capsys):
    fall = TermFactory(name="Fall 2026", slug="fall-2026")
    spring = TermFactory(name="Spring 2027", slug="spring-2027")
    args = ["import_legacy", str(LEGACY_EXPORT), "--term", "Fall=fall-2026", "--term", "Spring=spring-2027"]
    out, _ = run(*args)
    assert "courses: 7 created, 0 updated, 0 unchanged; users: 25 created, 0 unchanged" in out
    python = Course.objects.filter(code__startswith="PYT101").order_by("code")
    assert [(c.code, c.title, c.credits, c.term_id) for c in python] == [
        ("PYT101", "Introduction to Python", 3, fall.pk), ("PYT101-SP", "Introduction to Python", 3, spring.pk),
    ]
    mahala = User.objects.get(email="mgilkes0@deliciousdays.com")
    assert (mahala.student_number, mahala.first_name, mahala.last_name) == (1, "Mahala", "Gilkes")
    assert mahala.password.startswith("md5$") or mahala.password.startswith("argon2")
    assert check_password("IgGpUm", mahala.password) and mahala.password != "IgGpUm"

    out, _ = run(*args)
    assert "courses: 0 created, 0 updated, 7 unchanged; users: 0 created, 25 unchanged" in out
    assert "IgGpUm" not in out + capsys.readouterr().out


def test_import_legacy_names_the_terms_it_cannot_map(tmp_path):
    TermFactory(name="Fall 2026", slug="fall-2026")
    message, lines = refused("import_legacy", str(LEGACY_EXPORT), "--term", "Fall=fall-2026")
    assert lines[0] == "courses.json: line 2: term: no target term for “Spring”: add --term Spring=<term slug>"
    assert message == "3 problem(s); nothing was imported (or use --skip-invalid)."
    assert not Course.objects.exists() and not User.objects.exists()


def test_import_legacy_reports_bad_users_without_their_passwords(tmp_path):
    TermFactory(name="Fall 2026", slug="fall-2026")
    (tmp_path / "courses.json").write_text('[{"courseID": "1", "title": "PYT 101", "description": "Python", '
                                           '"credits": "three", "term": "Fall"}]')
    (tmp_path / "users.json").write_text(json.dumps([
        {"user_id": 1, "first_name": "A", "last_name": "B", "email": "a@example.edu", "password": "secret-1"},
        {"user_id": 1, "first_name": "C", "last_name": "D", "email": "c@example.edu", "password": "secret-2"},
        {"user_id": "x", "first_name": "E", "last_name": "F", "email": "not-an-email", "password": ""},
    ], indent=1))
    message, lines = refused("import_legacy", str(tmp_path), "--term", "Fall=fall-2026")
    assert lines == [
        "courses.json: line 1: credits: Enter a whole number.",
        "users.json: line 9: user_id: 1 already appears on line 2",
        "users.json: line 16: user_id: Enter a whole number.",
        "users.json: line 16: email: Enter a valid email address.",
        "users.json: line 16: password: This field is required.",
    ]
    assert "secret" not in message + "".join(lines)
    assert not User.objects.exists()
