"""The demo school's instructors: who teaches what, a sheet waiting for grades, a permit for Ada."""

from django.test import Client

from catalog.models import CourseInstructor
from enrollment.demo import DEMO_INSTRUCTOR_EMAIL, DEMO_STUDENT_EMAIL, INSTRUCTOR_PASSWORD, seed_demo
from enrollment.models import GradeSheet, Permit


def test_the_demo_instructor_logs_in_teaches_computer_science_and_has_grades_due(db):
    seed_demo(students=15, seed=3)
    client = Client()
    assert client.login(username=DEMO_INSTRUCTOR_EMAIL, password=INSTRUCTOR_PASSWORD)

    page = client.get("/teaching/")

    states = {t.course.code: t.grades_state().code for _term, courses in page.context["terms"] for t in courses}
    assert states["CS150"] == "due" and states["CS101"] == "submitted"
    assert {code for code in states if not code.startswith("CS")} == set()
    assert CourseInstructor.objects.filter(course__code="HIST101").count() == 1
    assert GradeSheet.objects.filter(submitted_at__isnull=False).count() == 10
    permit = Permit.objects.select_related("student", "issued_by").get()
    assert (permit.student.email, permit.issued_by.email) == (DEMO_STUDENT_EMAIL, DEMO_INSTRUCTOR_EMAIL)
    roster = client.get("/teaching/CS150/")
    assert DEMO_STUDENT_EMAIL in roster.content.decode()
