import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from accounts.models import User
from catalog.models import Course, Term
from catalog.tests.factories import CourseFactory, TermFactory
from enrollment.models import Enrollment

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


@pytest.fixture
def term():
    return TermFactory(name="Fall 2026", slug="fall-2026")


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


GOOD_CSV = """code,title,credits,term,capacity,instructor,meeting_days,starts_at,ends_at,prerequisites
CS101,Programming,3,fall-2026,30,Dr. Hopper,MWF,09:00,09:50,
CS201,Data Structures,4,fall-2026,20,Dr. Knuth,TR,11:00,12:15,CS101
"""


def test_import_courses_creates_then_a_second_run_changes_nothing(tmp_path, term):
    path = write(tmp_path, "courses.csv", GOOD_CSV)
    out, _ = run("import_courses", str(path))
    assert "2 created, 0 updated, 0 unchanged" in out
    cs201 = Course.objects.get(code="CS201")
    assert (cs201.credits, cs201.instructor, cs201.schedule_display) == (4, "Dr. Knuth", "Tue/Thu 11:00–12:15")
    assert list(cs201.prerequisites.values_list("code", flat=True)) == ["CS101"]
    out, _ = run("import_courses", str(path))
    assert "0 created, 0 updated, 2 unchanged" in out


def test_import_courses_updates_by_code_and_fills_freed_seats(tmp_path, term):
    from accounts.tests.factories import UserFactory
    from enrollment.services import enrollment_create

    course = CourseFactory(code="CS101", title="Old title", term=term, capacity=1)
    students = UserFactory.create_batch(2)
    for student in students:
        enrollment_create(student=student, course=course)
    path = write(tmp_path, "courses.json", json.dumps([
        {"code": "CS101", "title": "Programming", "credits": 3, "term": "fall-2026", "capacity": 2},
    ]))
    out, _ = run("import_courses", str(path))
    assert "0 created, 1 updated" in out and "CS101: 1 promoted from the waitlist" in out
    course.refresh_from_db()
    assert (course.title, course.capacity, course.enrolled_count, course.waitlist_count) == ("Programming", 2, 2, 0)
    assert Enrollment.objects.filter(status="enrolled").count() == 2


def test_import_courses_dry_run_writes_nothing(tmp_path, term):
    out, _ = run("import_courses", str(write(tmp_path, "c.csv", GOOD_CSV)), "--dry-run")
    assert out.splitlines()[:2] == ["would create CS101", "would create CS201"]
    assert "nothing written" in out
    assert not Course.objects.exists()


def test_import_courses_reports_every_bad_row_and_writes_nothing(tmp_path, term):
    path = write(tmp_path, "bad.csv", (
        "code,title,credits,term,capacity,starts_at,ends_at,meeting_days,prerequisites\n"
        "CS101,Fine,3,fall-2026,10,,,,\n"
        "CS102,Too many credits,11,fall-2026,10,,,,\n"
        "CS101,Duplicate,3,fall-2026,10,,,,\n"
        "CS103,Wrong types,three,winter-1999,-1,,,,\n"
        "CS104,Backwards,3,fall-2026,10,10:00,09:00,MW,CS999\n"
    ))
    message, lines = refused("import_courses", str(path))
    assert message == (
        "7 problem(s) in bad.csv; nothing was imported (fix the file, or use --skip-invalid to import the valid rows)."
    )
    assert lines == [
        "bad.csv: line 3: credits: Ensure this value is less than or equal to 10.",
        "bad.csv: line 4: code: CS101 already appears on line 2",
        "bad.csv: line 5: credits: Enter a whole number.",
        "bad.csv: line 5: term: no term “winter-1999”; give a term's slug, e.g. fall-2026",
        "bad.csv: line 5: capacity: Ensure this value is greater than or equal to 0.",
        "bad.csv: line 6: ends_at: A class must end after it starts.",
        "bad.csv: line 6: prerequisites: unknown course CS999",
    ]
    assert not Course.objects.exists()


def test_import_courses_skip_invalid_imports_the_good_rows(tmp_path, term):
    path = write(tmp_path, "mixed.csv", "code,title,credits,term,capacity\nCS101,Fine,3,fall-2026,10\nCS102,Bad,0,fall-2026,10\n")
    out, err = run("import_courses", str(path), "--skip-invalid")
    assert "1 created, 0 updated, 0 unchanged, 1 invalid row(s) skipped" in out
    assert "line 3: credits" in err
    assert list(Course.objects.values_list("code", flat=True)) == ["CS101"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.csv", "code,title\nCS101,X\n", "missing.csv: missing column(s): credits, term, capacity (found: code, title)"),
    ("latin1.csv", "code,title,credits,term,capacity\nCS101,Café,3,fall-2026,1\n".encode("latin-1"),
     "latin1.csv is not UTF-8 text: byte 0xe9 on line 2; save it as UTF-8"),
    ("broken.json", '[{"code": "CS101",\n "title": }]', "broken.json: line 2, column 11: Expecting value"),
    ("object.json", '{"code": "CS101"}', "object.json: expected a JSON array of objects"),
    ("list.json", '[["CS101"]]', "list.json: line 1: expected an object, found list"),
    ("courses.txt", "code\n", "courses.txt: use a .csv or .json file"),
])
def test_import_courses_refuses_unreadable_files_with_one_clear_message(tmp_path, term, name, content, message):
    assert refused("import_courses", str(write(tmp_path, name, content)))[0] == message
    assert not Course.objects.exists()


def test_import_courses_treats_mongodb_operators_as_bad_values(tmp_path, term):
    path = write(tmp_path, "evil.json", json.dumps([
        {"code": "CS101", "title": "X", "credits": {"$gt": 0}, "term": {"$ne": None}, "capacity": 5},
    ]))
    _, lines = refused("import_courses", str(path))
    assert lines == [
        "evil.json: line 1: credits: Enter a whole number.",
        'evil.json: line 1: term: no term “{"$ne": null}”; give a term\'s slug, e.g. fall-2026',
    ]


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


def test_seed_demo_loads_a_school_and_refuses_to_load_twice(django_assert_max_num_queries):
    out, _ = run("seed_demo", "--students", "12", "--seed", "7")
    assert "Loaded 3 terms, 60 courses, 12 students" in out
    assert Term.objects.count() == 3 and Course.objects.count() == 60
    assert User.objects.filter(is_superuser=True).count() == 1
    assert Enrollment.objects.filter(grade__gt="").exists()
    out, _ = run("seed_demo", "--if-empty")
    assert "already has courses" in out
    assert refused("seed_demo")[0] == "The catalog already has courses; seed_demo loads only into an empty catalog."
