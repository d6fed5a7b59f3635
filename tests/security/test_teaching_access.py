"""Who may see and change a course's teaching pages and endpoints: being assigned to it, or being a registrar.

Roles: anonymous, a student enrolled in the course, another instructor (who
teaches another course), the course's instructor and a registrar. The
Instructor group alone opens no course.
"""

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from catalog.instructors import course_set_instructors
from catalog.tests.factories import CourseFactory
from enrollment.models import GradeSheet, Permit
from enrollment.services import enrollment_create
from school.api.testing import token_client

ROLES = ["anonymous", "student", "other instructor", "instructor", "registrar"]
ASSIGNED = {"anonymous": "login", "student": 403, "other instructor": 403, "instructor": 200, "registrar": 200}


@pytest.fixture
def world(registrar):
    course = CourseFactory(code="CS101")
    other_course = CourseFactory(code="CS102")
    student, applicant = UserFactory(), UserFactory()
    instructor, other = UserFactory(), UserFactory()
    course_set_instructors(course=course, instructors=[instructor])
    course_set_instructors(course=other_course, instructors=[other])
    enrollment_create(student=student, course=course)
    return {"student": student, "other instructor": other, "instructor": instructor, "registrar": registrar,
            "applicant": applicant, "enrollment": student.enrollments.get()}


def page_client(world, role) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world[role])
    return client


def permit_form(world) -> dict:
    return {"student": world["applicant"].email, "waives": ["capacity"], "valid_until": world["enrollment"].course
            .term.starts_on.isoformat()}


PAGES = [
    ("get", "/teaching/", {**ASSIGNED, "other instructor": 200, "registrar": 403}),
    ("get", "/teaching/CS101/", ASSIGNED),
    ("get", "/teaching/CS101/roster.csv", ASSIGNED),
    ("get", "/teaching/CS101/grades/", ASSIGNED),
    ("post", "/teaching/CS101/grades/", {**ASSIGNED, "instructor": 302, "registrar": 403}),
    ("get", "/teaching/CS101/permits/", ASSIGNED),
    ("post", "/teaching/CS101/permits/", {**ASSIGNED, "instructor": 302, "registrar": 302}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "expected"), PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_pages(world, role, method, path, expected):
    client = page_client(world, role)
    if path.endswith("grades/") and method == "post":
        response = client.post(path, {f"grade-{world['enrollment'].pk}": "A", "save": ""})
    elif method == "post":
        response = client.post(path, permit_form(world))
    else:
        response = client.get(path)
    want = expected[role]
    if want == "login":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == want, response.content[:500]
    wrote = GradeSheet.objects.exists() or Permit.objects.exists()
    assert wrote == (method == "post" and want == 302)


def test_an_unknown_course_is_not_found_and_the_group_alone_opens_none(world):
    client = page_client(world, "other instructor")
    assert client.get("/teaching/NOPE101/").status_code == 404
    assert client.get("/teaching/CS102/").status_code == 200


API = [
    ("get", "/api/teaching/", {"anonymous": 401, "student": 403, "other instructor": 200, "instructor": 200,
                               "registrar": 403}),
    ("get", "/api/teaching/CS101/roster/", {**ASSIGNED, "anonymous": 401}),
    ("get", "/api/teaching/CS101/grades/", {**ASSIGNED, "anonymous": 401}),
    ("put", "/api/teaching/CS101/grades/", {**ASSIGNED, "anonymous": 401, "registrar": 403}),
    ("post", "/api/teaching/CS101/permits/", {**ASSIGNED, "anonymous": 401, "instructor": 201, "registrar": 201}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "expected"), API, ids=[f"{m} {p}" for m, p, _ in API])
def test_api(world, role, method, path, expected):
    client = Client() if role == "anonymous" else token_client(world[role])
    if method == "put":
        number = str(world["student"].student_number)
        response = client.put(path, {"grades": {number: "B"}}, content_type="application/json")
    elif method == "post":
        body = {"student": world["applicant"].student_number, "waives": ["capacity"],
                "valid_until": world["enrollment"].course.term.starts_on.isoformat()}
        response = client.post(path, body, content_type="application/json")
    else:
        response = client.get(path)
    assert response.status_code == expected[role], response.content
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}
    wrote = GradeSheet.objects.exists() or Permit.objects.exists()
    assert wrote == (method != "get" and expected[role] in (200, 201))
