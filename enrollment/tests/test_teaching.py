"""The teaching pages: my courses, a roster with its CSV and mailto, at a fixed number of queries."""

import csv
import datetime
import io

from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from accounts.instructor_group import INSTRUCTOR_GROUP
from accounts.tests.factories import UserFactory
from catalog.instructors import course_set_instructors
from catalog.models import Course
from catalog.tests.factories import CourseFactory
from enrollment.models import GradeSheet
from enrollment.services import enrollment_create


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fill(course, n: int, **names) -> list:
    students = [UserFactory(**names) for _ in range(n)]
    for student in students:
        enrollment_create(student=student, course=Course.objects.with_term().get(pk=course.pk))
    return students


def test_my_courses_by_term_with_seats_waitlist_and_where_grades_stand(instructor, taught, ended_term, past_term):
    Course.objects.filter(pk=taught.pk).update(capacity=1)
    fill(taught, 3)
    done = CourseFactory(code="HIST100", term=past_term)
    due = CourseFactory(code="MATH300", term=ended_term)
    late = CourseFactory(code="ART100", term=past_term)
    for course in (done, due, late):
        course_set_instructors(course=course, instructors=[instructor])
    GradeSheet.objects.create(course=done, submitted_at=timezone.now())

    response = logged_in(instructor).get("/teaching/")

    terms = [(term.name, [t.course.code for t in courses]) for term, courses in response.context["terms"]]
    assert terms == [("Fall 2026", ["CS101"]), ("Summer 2026", ["MATH300"]), ("Spring 2026", ["ART100", "HIST100"])]
    html = response.content.decode()
    assert "1 / 1" in html and '<td class="num" data-label="Waitlist">2</td>' in html
    states = {t.course.code: t.grades_state().code for _term, courses in response.context["terms"] for t in courses}
    assert states == {"CS101": "not_due", "MATH300": "due", "ART100": "overdue", "HIST100": "submitted"}
    assert 'data-state="overdue"' in html and "Teaching</a>" in html


def test_my_courses_cost_the_same_queries_for_few_or_many(instructor, term, django_assert_max_num_queries):
    client = logged_in(instructor)

    def teach(n):
        for course in CourseFactory.create_batch(n, term=term):
            course_set_instructors(course=course, instructors=[instructor])
            GradeSheet.objects.create(course=course)

    teach(1)
    with django_assert_max_num_queries(4) as few:
        assert client.get("/teaching/").status_code == 200
    teach(5)
    with django_assert_max_num_queries(4) as many:
        assert client.get("/teaching/").status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries)


def test_the_roster_lists_the_class_by_name_and_the_waitlist_in_order(instructor, taught):
    Course.objects.filter(pk=taught.pk).update(capacity=2)
    zed, amy = UserFactory(last_name="Zed", first_name="Zoe"), UserFactory(last_name="Abe", first_name="Amy")
    first, second = UserFactory(last_name="Waits"), UserFactory(last_name="Also")
    for student in (zed, amy, first, second):
        enrollment_create(student=student, course=Course.objects.with_term().get(pk=taught.pk))

    response = logged_in(instructor).get("/teaching/CS101/")

    roster = response.context["roster"]
    assert [e.student for e in roster.enrolled] == [amy, zed]
    assert [(e.student, e.waitlist_position) for e in roster.waitlisted] == [(first, 1), (second, 2)]
    html = response.content.decode()
    assert str(amy.student_number) in html and amy.email in html
    assert f"mailto:?bcc={amy.email},{zed.email}&amp;subject=CS101" in html


def test_the_roster_and_grade_sheet_cost_the_same_queries_for_any_class_size(
    instructor, taught, django_assert_max_num_queries
):
    client = logged_in(instructor)
    fill(taught, 2)
    counts = {}
    for _size in ("few", "many"):
        for path in ("/teaching/CS101/", "/teaching/CS101/grades/", "/teaching/CS101/roster.csv"):
            with django_assert_max_num_queries(4) as queries:
                assert client.get(path).status_code == 200
            counts.setdefault(path, []).append(len(queries.captured_queries))
        Course.objects.filter(pk=taught.pk).update(capacity=30)
        fill(taught, 12)
    assert all(few == many for few, many in counts.values()), counts


def test_the_roster_csv_is_written_by_the_one_csv_writer_formula_escaped(instructor, taught):
    fill(taught, 1, first_name="=HYPERLINK(\"http://evil\")", last_name="+Sum")

    response = logged_in(instructor).get("/teaching/CS101/roster.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="roster-CS101-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["list", "position", "student_number", "last_name", "first_name", "email", "status", "since"]
    assert rows[1][:5] == ["enrolled", "1", rows[1][2], "'+Sum", "'=HYPERLINK(\"http://evil\")"]


def test_an_instructor_sees_the_teaching_link_from_login_and_a_student_does_not(instructor, taught):
    student = UserFactory()
    assert "/teaching/" in logged_in(instructor).get("/").content.decode()
    assert "/teaching/" not in logged_in(student).get("/").content.decode()


def test_assigning_puts_the_instructor_in_the_group_and_a_member_without_courses_sees_none(db):
    member = UserFactory()
    Group.objects.get_or_create(name=INSTRUCTOR_GROUP)[0].user_set.add(member)

    response = logged_in(member).get("/teaching/")

    assert response.status_code == 200 and "not assigned to any course" in response.content.decode()
    assert logged_in(member).get(CourseFactory(code="CS101").get_absolute_url().replace(
        "/courses/", "/teaching/")).status_code == 403


def test_grades_are_due_two_weeks_after_the_last_day_unless_the_term_says(term):
    assert term.grades_due_at == term.grading_opens_at + datetime.timedelta(days=14)
    assert term.grading_opens_at == timezone.make_aware(datetime.datetime.combine(term.ends_on, datetime.time.min))
