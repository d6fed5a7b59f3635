import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from catalog.models import Course
from catalog.tests.factories import CourseFactory
from enrollment.models import Enrollment
from enrollment.services import enrollment_create


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


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
