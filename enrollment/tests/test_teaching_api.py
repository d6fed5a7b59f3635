"""The teaching endpoints: the same reads and services as the pages, in the API's one error shape."""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.instructors import course_set_instructors
from catalog.tests.factories import CourseFactory
from enrollment.models import Enrollment, Permit, Status
from enrollment.tests.factories import EnrollmentFactory
from school.api.testing import error_of, token_client


@pytest.fixture
def api(instructor):
    return token_client(instructor)


@pytest.fixture
def closing(ended_term, instructor):
    course = CourseFactory(code="MATH300", term=ended_term, capacity=2)
    course_set_instructors(course=course, instructors=[instructor])
    for last_name in ("Abe", "Bell"):
        EnrollmentFactory(course=course, student=UserFactory(last_name=last_name), status=Status.ENROLLED)
    return course


def numbers(course) -> list[str]:
    return [str(n) for n in Enrollment.objects.filter(course=course).order_by("student__last_name")
            .values_list("student__student_number", flat=True)]


def put(api, course, grades, submit=False):
    return api.put(f"/api/teaching/{course.code}/grades/", {"grades": grades, "submit": submit},
                   content_type="application/json")


def test_my_courses_and_a_roster(api, closing):
    [mine] = api.get("/api/teaching/").json()
    assert (mine["code"], mine["enrolled"], mine["capacity"], mine["grades"]["code"]) == ("MATH300", 0, 2, "due")

    roster = api.get("/api/teaching/math300/roster/").json()
    assert [s["last_name"] for s in roster["enrolled"]] == ["Abe", "Bell"] and roster["waitlist"] == []
    assert set(roster["enrolled"][0]) == {"student_number", "first_name", "last_name", "email", "status",
                                          "enrolled_at", "waitlisted_at", "waitlist_position"}


def test_grades_are_saved_by_student_number_then_submitted_then_closed(api, closing):
    abe, bell = numbers(closing)
    draft = put(api, closing, {abe: "A-"})
    assert draft.status_code == 200
    assert [(s["draft"], s["grade"]) for s in draft.json()["students"]] == [("A-", ""), ("", "")]

    incomplete = error_of(put(api, closing, {}, submit=True), 422)
    assert incomplete["code"] == "grades_incomplete"
    done = put(api, closing, {bell: "B"}, submit=True).json()
    assert done["state"]["code"] == "submitted" and not done["editable"]
    assert [s["grade"] for s in done["students"]] == ["A-", "B"]

    closed = error_of(put(api, closing, {abe: "F"}), 409)
    assert closed["code"] == "grades_closed"
    assert list(Enrollment.objects.filter(course=closing).order_by("student__last_name")
                .values_list("grade", flat=True)) == ["A-", "B"]


def test_bad_grades_and_strangers_are_400s_naming_them(api, closing):
    outsider = UserFactory()
    unknown = error_of(put(api, closing, {str(outsider.student_number): "A"}), 400)
    assert unknown["fields"] == {f"grades.{outsider.student_number}": ["not a student enrolled in MATH300"]}
    bad = error_of(put(api, closing, {numbers(closing)[0]: "Z"}), 400)
    assert bad["code"] == "invalid"


def test_submitting_before_the_last_day_is_a_422(api, instructor, term):
    course = CourseFactory(code="CS300", term=term)
    course_set_instructors(course=course, instructors=[instructor])
    student = EnrollmentFactory(course=course).student
    assert error_of(put(api, course, {str(student.student_number): "A"}, submit=True), 422)["code"] == "grades_not_open"


def test_issuing_a_permit(api, instructor, taught):
    student = UserFactory()
    until = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    body = {"student": student.student_number, "waives": ["capacity", "schedule"], "valid_until": until}

    created = api.post("/api/teaching/CS101/permits/", body, content_type="application/json")

    assert created.status_code == 201
    assert created.json()["waives"] == ["capacity", "schedule"] and created.json()["student"] == student.student_number
    assert Permit.objects.get().via == "api"
    nobody = {**body, "student": 999999}
    assert error_of(api.post("/api/teaching/CS101/permits/", nobody, content_type="application/json"),
                    400)["fields"] == {"student": ["no student has that number"]}
    past = {**body, "valid_until": "2001-01-01"}
    assert error_of(api.post("/api/teaching/CS101/permits/", past, content_type="application/json"),
                    422)["code"] == "invalid_permit"
