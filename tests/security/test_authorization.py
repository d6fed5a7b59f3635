"""Who may do what: every page and endpoint, for every kind of user, allowed and refused.

Roles: anonymous, a student, another student, a registrar (staff in the
Registrar group) and a superuser. The student owns an enrollment; "another
student" must never see or change it.
"""

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from catalog.tests.factories import CourseFactory
from enrollment.services import enrollment_create
from school.api.testing import token_client

ROLES = ["anonymous", "student", "other", "registrar", "superuser"]


@pytest.fixture
def world(registrar):
    student = UserFactory(email="student@example.edu")
    other = UserFactory(email="other@example.edu")
    superuser = User.objects.create_superuser("root@example.edu", PASSWORD)
    course = CourseFactory(code="CS101")
    CourseFactory(code="CS102")
    enrollment = enrollment_create(student=student, course=course)
    return {"student": student, "other": other, "registrar": registrar, "superuser": superuser,
            "enrollment": enrollment}


def page_client(world, role) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world[role])
    return client


def api_client(world, role) -> Client:
    return Client() if role == "anonymous" else token_client(world[role])


# (method, path, {role: expected status}); "login" means a redirect to the login page.
PAGES = [
    ("get", "/", dict.fromkeys(ROLES, 200)),
    ("get", "/courses/", dict.fromkeys(ROLES, 200)),
    ("get", "/courses/CS101/", dict.fromkeys(ROLES, 200)),
    ("get", "/enrollments/", {"anonymous": "login", **dict.fromkeys(ROLES[1:], 200)}),
    ("get", "/profile/", {"anonymous": "login", **dict.fromkeys(ROLES[1:], 200)}),
    ("post", "/courses/CS102/enroll/", {"anonymous": "login", **dict.fromkeys(ROLES[1:], 302)}),
    ("get", "/admin/", {"anonymous": "admin-login", "student": "admin-login", "other": "admin-login",
                        "registrar": 200, "superuser": 200}),
    ("get", "/admin/enrollment/enrollment/", {"anonymous": "admin-login", "student": "admin-login",
                                              "other": "admin-login", "registrar": 200, "superuser": 200}),
    ("get", "/admin/catalog/course/", {"anonymous": "admin-login", "student": "admin-login",
                                       "other": "admin-login", "registrar": 200, "superuser": 200}),
    ("get", "/admin/accounts/user/", {"anonymous": "admin-login", "student": "admin-login",
                                      "other": "admin-login", "registrar": 200, "superuser": 200}),
    ("get", "/admin/auth/group/", {"anonymous": "admin-login", "student": "admin-login", "other": "admin-login",
                                   "registrar": 403, "superuser": 200}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "expected"), PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_pages(world, role, method, path, expected):
    response = getattr(page_client(world, role), method)(path)
    want = expected[role]
    if want == "login":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    elif want == "admin-login":
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    else:
        assert response.status_code == want


@pytest.mark.parametrize("role", ROLES[1:])
def test_my_enrollments_show_only_ones_own(world, role):
    html = page_client(world, role).get("/enrollments/").content.decode()
    assert ("CS101" in html) == (role == "student")


@pytest.mark.parametrize("role", ROLES)
def test_dropping_another_students_enrollment_from_the_pages_is_impossible(world, role):
    client = page_client(world, role)
    client.post("/courses/CS101/drop/")
    world["enrollment"].refresh_from_db()
    assert world["enrollment"].status == ("dropped" if role == "student" else "enrolled")


API = [
    ("get", "/api/courses/", dict.fromkeys(ROLES, 200)),
    ("get", "/api/courses/CS101/", dict.fromkeys(ROLES, 200)),
    ("get", "/api/courses/CS101/eligibility/", {"anonymous": 401, **dict.fromkeys(ROLES[1:], 200)}),
    ("get", "/api/users/", {"anonymous": 401, "student": 403, "other": 403, "registrar": 200, "superuser": 200}),
    ("get", "/api/users/{number}/", {"anonymous": 401, "student": 403, "other": 403, "registrar": 200,
                                      "superuser": 200}),
    ("get", "/api/enrollments/", {"anonymous": 401, **dict.fromkeys(ROLES[1:], 200)}),
    ("post", "/api/enroll/", {"anonymous": 401, **dict.fromkeys(ROLES[1:], 201)}),
    ("delete", "/api/enrollments/{enrollment}/", {"anonymous": 401, "student": 200, "other": 404,
                                                   "registrar": 404, "superuser": 404}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "expected"), API, ids=[f"{m} {p}" for m, p, _ in API])
def test_api(world, role, method, path, expected):
    path = path.format(number=world["student"].student_number, enrollment=world["enrollment"].pk)
    client = api_client(world, role)
    if method == "post":
        response = client.post(path, {"course": "CS102"}, content_type="application/json")
    else:
        response = getattr(client, method)(path)
    assert response.status_code == expected[role], response.content
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}


@pytest.mark.parametrize("role", ROLES[1:])
def test_api_enrollment_lists_hold_only_the_callers_own(world, role):
    listed = api_client(world, role).get("/api/enrollments/").json()
    assert [item["course"] for item in listed] == (["CS101"] if role == "student" else [])
