import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.tests.factories import UserFactory
from catalog.models import Course, Term
from catalog.tests.factories import CourseFactory
from enrollment.eligibility import term_load_reasons
from enrollment.models import Enrollment
from enrollment.seat_counters import counter_mismatches
from enrollment.selectors import student_enrollments
from enrollment.services import enrollment_create


def run(*args, stderr=None):
    out = StringIO()
    call_command(*args, stdout=out, stderr=stderr or StringIO())
    return out.getvalue()


def refused(*args):
    err = StringIO()
    with pytest.raises(CommandError) as error:
        call_command(*args, stdout=StringIO(), stderr=err)
    return str(error.value), err.getvalue().splitlines()


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


@pytest.fixture
def full_course(term):
    course = CourseFactory(code="CS101", title="Programming", term=term, capacity=2)
    for n, student in enumerate(UserFactory.create_batch(3)):
        student.email = f"s{n}@example.edu"
        student.save()
        enrollment_create(student=student, course=course)
    return course


def test_export_enrollments_writes_csv_filtered_by_course(full_course, term, tmp_path):
    enrollment_create(student=UserFactory(), course=CourseFactory(code="MATH201", term=term))
    rows = list(csv.DictReader(StringIO(run("export_enrollments", "--course", "cs101"))))
    assert [(r["student_email"], r["course_code"], r["status"]) for r in rows] == [
        ("s0@example.edu", "CS101", "enrolled"), ("s1@example.edu", "CS101", "enrolled"),
        ("s2@example.edu", "CS101", "waitlisted"),
    ]
    assert rows[2]["waitlisted_at"] and rows[0]["term"] == "Fall 2026"
    output = tmp_path / "all.csv"
    run("export_enrollments", "--term", "fall-2026", "--output", str(output))
    assert len(list(csv.DictReader(output.open()))) == 4


def test_exports_write_names_and_titles_a_spreadsheet_shows_and_never_runs(term):
    mallory = UserFactory(first_name='=HYPERLINK("https://evil.example","x")', last_name="Y", email="m@example.edu")
    enrollment_create(student=mallory, course=CourseFactory(code="CS101", title="@SUM(1+1)", term=term))

    (row,) = csv.DictReader(StringIO(run("export_enrollments")))
    assert row["student_name"] == """'=HYPERLINK("https://evil.example","x") Y"""
    assert row["course_title"] == "'@SUM(1+1)"
    report = list(csv.reader(StringIO(run("enrollment_report", "--format", "csv"))))
    assert report[1][:3] == ["Fall 2026", "CS101", "'@SUM(1+1)"]


def test_export_enrollments_names_unknown_filters(db):
    with pytest.raises(CommandError, match="No term “nope”. Terms: none."):
        run("export_enrollments", "--term", "nope")
    with pytest.raises(CommandError, match="No course “XX1”."):
        run("export_enrollments", "--course", "XX1")


def test_enrollment_report_table_and_csv(full_course, term):
    CourseFactory(code="MATH201", title="Linear Algebra", term=term, capacity=4)
    table = run("enrollment_report").splitlines()
    assert table[0].split() == ["term", "course", "title", "enrolled", "capacity", "waitlist", "fill"]
    assert table[1].split() == ["Fall", "2026", "CS101", "Programming", "2", "2", "1", "100%"]
    assert table[-1].split() == ["Fall", "2026", "TOTAL", "2", "6", "1", "33%"]
    rows = list(csv.reader(StringIO(run("enrollment_report", "--format", "csv"))))
    assert rows[2] == ["Fall 2026", "MATH201", "Linear Algebra", "0", "4", "0", "0%"]


def test_promote_waitlists_fills_seats_freed_by_a_capacity_change(full_course):
    Course.objects.filter(pk=full_course.pk).update(capacity=3)
    out = run("promote_waitlists")
    assert "CS101: promoted s2@example.edu" in out and "Promoted 1 student(s)" in out
    assert Enrollment.objects.filter(status="enrolled").count() == 3
    assert "Promoted 0 student(s)" in run("promote_waitlists")


def test_check_db_reports_the_server_and_finds_nothing_wrong(full_course):
    out = run("check_db")
    assert out.startswith("MongoDB ") and "Every expected index exists and the seat counters agree." in out


def test_check_db_fails_on_a_missing_index_and_on_wrong_counters(full_course):
    from django.db import connection

    connection.database["enrollment_enrollment"].drop_index("one_enrollment_per_student_course")
    Course.objects.filter(pk=full_course.pk).update(enrolled_count=5)
    err = StringIO()
    try:
        with pytest.raises(CommandError, match="2 problem"):
            call_command("check_db", stdout=StringIO(), stderr=err)
    finally:
        connection.database["enrollment_enrollment"].create_index(
            [("student_id", 1), ("course_id", 1)], unique=True, name="one_enrollment_per_student_course"
        )
    assert err.getvalue().splitlines() == [
        "problem: enrollment_enrollment: unique index on student_id 1, course_id 1",
        "problem: CS101: counters say 5 enrolled / 1 waiting, enrollments say 2 / 1",
    ]


def test_check_db_fix_counters_sets_them_from_the_enrollments(full_course):
    Course.objects.filter(pk=full_course.pk).update(enrolled_count=3, waitlist_count=0)
    out = run("check_db", "--fix-counters")
    assert "fixed: CS101: counters say 3 enrolled / 0 waiting, enrollments say 2 / 1" in out
    full_course.refresh_from_db()
    assert (full_course.enrolled_count, full_course.waitlist_count) == (2, 1)
    assert "seat counters agree" in out


# --- import_courses: the catalog's import, and the seats a larger capacity frees ---------------


GOOD_CSV = """code,title,credits,term,capacity,instructor,meeting_days,starts_at,ends_at,prerequisites
CS101,Programming,3,fall-2026,30,Dr. Hopper,MWF,09:00,09:50,
CS201,Data Structures,4,fall-2026,20,Dr. Knuth,TR,11:00,12:15,CS101
"""


def test_import_courses_creates_then_a_second_run_changes_nothing(tmp_path, term):
    path = write(tmp_path, "courses.csv", GOOD_CSV)
    out = run("import_courses", str(path))
    assert "2 created, 0 updated, 0 unchanged" in out
    cs201 = Course.objects.get(code="CS201")
    assert (cs201.credits, cs201.instructor, cs201.schedule_display) == (4, "Dr. Knuth", "Tue/Thu 11:00–12:15")
    assert list(cs201.prerequisites.values_list("code", flat=True)) == ["CS101"]
    out = run("import_courses", str(path))
    assert "0 created, 0 updated, 2 unchanged" in out


def test_import_courses_updates_by_code_and_fills_freed_seats(tmp_path, term):
    course = CourseFactory(code="CS101", title="Old title", term=term, capacity=1)
    students = UserFactory.create_batch(2)
    for student in students:
        enrollment_create(student=student, course=course)
    path = write(tmp_path, "courses.json", json.dumps([
        {"code": "CS101", "title": "Programming", "credits": 3, "term": "fall-2026", "capacity": 2},
    ]))
    out = run("import_courses", str(path))
    assert "0 created, 1 updated" in out and "CS101: 1 promoted from the waitlist" in out
    course.refresh_from_db()
    assert (course.title, course.capacity, course.enrolled_count, course.waitlist_count) == ("Programming", 2, 2, 0)
    assert Enrollment.objects.filter(status="enrolled").count() == 2


def test_import_courses_dry_run_writes_nothing(tmp_path, term):
    out = run("import_courses", str(write(tmp_path, "c.csv", GOOD_CSV)), "--dry-run")
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
    path = write(
        tmp_path, "mixed.csv", "code,title,credits,term,capacity\nCS101,Fine,3,fall-2026,10\nCS102,Bad,0,fall-2026,10\n"
    )
    err = StringIO()
    out = run("import_courses", str(path), "--skip-invalid", stderr=err)
    assert "1 created, 0 updated, 0 unchanged, 1 invalid row(s) skipped" in out
    assert "line 3: credits" in err.getvalue()
    assert list(Course.objects.values_list("code", flat=True)) == ["CS101"]


@pytest.mark.parametrize(("name", "content", "message"), [
    (
        "missing.csv", "code,title\nCS101,X\n",
        "missing.csv: missing column(s): credits, term, capacity (found: code, title)",
    ),
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


def test_seed_demo_loads_a_school_and_refuses_to_load_twice(db):
    out = run("seed_demo", "--students", "12", "--seed", "7")
    assert "Loaded 4 terms, 61 courses, 12 instructors, 12 students" in out
    assert "Instructor login: mensah@example.edu / instructor-demo" in out
    assert Term.objects.count() == 4 and Course.objects.count() == 61
    assert User.objects.filter(is_superuser=True).count() == 1
    assert Enrollment.objects.filter(grade__gt="").exists()
    out = run("seed_demo", "--if-empty")
    assert "already has courses" in out
    assert refused("seed_demo")[0] == "The catalog already has courses; seed_demo loads only into an empty catalog."


def test_seed_demo_keeps_to_the_credit_limit_and_its_seat_counters_agree(db, settings):
    settings.REGISTRAR_CREDIT_LIMIT = 6
    run("seed_demo", "--students", "12", "--seed", "7")

    current = Term.objects.current_or_next().first()
    credits = {}
    for enrollment in Enrollment.objects.filter(course__term=current).active().select_related("course"):
        if enrollment.is_waiting_swap:
            continue  # weighs nothing until promoted, when the course it replaces goes
        credits[enrollment.student_id] = credits.get(enrollment.student_id, 0) + enrollment.course.credits
    assert credits and max(credits.values()) <= 6
    assert counter_mismatches() == []


def test_seed_demo_shows_each_registrar_policy(client, db):
    """A newcomer sees a student with a hold, a term with registration appointments and a withdrawal."""
    from enrollment.demo import DEMO_STUDENT_EMAIL, HELD_STUDENT_EMAIL
    from enrollment.models import AppointmentGroup, Hold

    out = run("seed_demo", "--students", "12", "--seed", "7")
    assert "1 withdrawal, 1 hold and 3 registration appointment groups" in out
    assert f"A student with a hold: {HELD_STUDENT_EMAIL}" in out

    (hold,) = Hold.objects.active().select_related("student", "kind")
    assert (hold.student.email, hold.kind.code) == (HELD_STUDENT_EMAIL, "bursar")
    withdrawn = Enrollment.objects.select_related("student", "course__term").get(status="withdrawn")
    assert (withdrawn.student.email, withdrawn.grade) == (DEMO_STUDENT_EMAIL, "W")
    assert withdrawn.course.term.ends_on < withdrawn.course.term.starts_on.today()
    upcoming = Term.objects.order_by("-starts_on").first()
    assert sorted(AppointmentGroup.objects.filter(term=upcoming).values_list("min_credits", flat=True)) == [0, 5, 10]

    client.force_login(User.objects.get(email=DEMO_STUDENT_EMAIL))
    home = client.get("/").content.decode()
    assert f"Your registration for {upcoming} opens" in home
    assert "Withdrawn" in client.get("/enrollments/").content.decode()
    client.force_login(hold.student)
    assert "Holds on your registration" in client.get("/").content.decode()


def test_seed_demo_shows_a_waiting_swap_to_the_demo_student(db):
    run("seed_demo", "--students", "120", "--seed", "7")
    [swap] = Enrollment.objects.filter(swap_for__isnull=False).select_related("student", "course", "swap_for")
    assert swap.student.email == "ada@example.edu" and swap.is_waiting_swap
    assert swap.swap_for.status == "enrolled"
    # One the rules allow: X fits the term once Y is dropped.
    assert term_load_reasons(course=swap.course, enrollments=student_enrollments(student=swap.student)) == []
    assert counter_mismatches() == []
