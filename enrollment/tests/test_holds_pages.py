"""Holds as students see them (course page, home, profile, the enroll API) and as staff manage them through the
API."""

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.utils.html import escape

from accounts.tests.factories import StaffFactory, UserFactory
from catalog.tests.factories import CourseFactory
from enrollment.holds import hold_lift, hold_place
from enrollment.models import Enrollment, Hold
from enrollment.tests.factories import HoldKindFactory
from school.api.testing import error_of, token_client

OFFICE = "the Bursar's Office (bursar@example.edu)"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


@pytest.fixture
def bursar(db):
    return HoldKindFactory(code="bursar", name="Bursar", office=OFFICE)


@pytest.fixture
def held(student, bursar):
    hold_place(student=student, kind=bursar, reason="Tuition is unpaid.")
    return student


# --- what the student sees ----------------------------------------------------------------------------


def test_the_course_page_gives_the_hold_and_the_office_and_no_enroll_button(client, held, course):
    client.force_login(held)
    response = client.get(course.get_absolute_url())
    assert [r.code for r in response.context["eligibility"].reasons] == ["hold"]
    html = response.content.decode()
    assert 'data-code="hold"' in html and "Bursar hold: Tuition is unpaid." in html and escape(OFFICE) in html
    assert "Enroll in CS101" not in html


def test_enrolling_from_the_page_is_refused_with_the_hold(client, held, course):
    client.force_login(held)
    response = client.post(f"/courses/{course.code}/enroll/", follow=True)
    assert "Bursar hold: Tuition is unpaid." in response.content.decode()
    assert not Enrollment.objects.exists()


def test_home_and_profile_list_the_students_holds(client, held, bursar):
    client.force_login(held)
    for page in ("/", "/profile/"):
        html = client.get(page).content.decode()
        assert "Holds on your registration" in html and "Tuition is unpaid." in html and escape(OFFICE) in html, page
        assert "you cannot enroll or join a waitlist; you can still drop or withdraw" in html

    hold_lift(hold=Hold.objects.get(), actor=None)
    assert "Holds on your registration" not in client.get("/").content.decode()
    assert "None: nothing stops you from registering." in client.get("/profile/").content.decode()


def test_a_student_sees_only_their_own_holds(client, held):
    client.force_login(UserFactory())
    for page in ("/", "/profile/"):
        assert "Tuition is unpaid." not in client.get(page).content.decode()


def test_the_home_page_costs_the_same_queries_with_holds_or_without(client, student, term, bursar,
                                                                    django_assert_num_queries):
    CourseFactory(term=term)
    client.force_login(student)
    client.get("/")
    # The user, the current term, its enrollments, the student's holds; the
    # appointment groups come from the shared cache.
    with django_assert_num_queries(4):
        client.get("/")
    for kind in [bursar, *HoldKindFactory.create_batch(2)]:
        hold_place(student=student, kind=kind, reason="Unpaid.")
    with django_assert_num_queries(4):
        assert client.get("/").content.decode().count('data-code="hold"') == 3


def test_the_enroll_api_refuses_with_the_hold_as_a_reason(held, course):
    api = token_client(held)
    error = error_of(api.post("/api/enroll/", {"course": "CS101"}, content_type="application/json"), 422)
    assert error["code"] == "not_eligible"
    assert error["reasons"] == [{
        "code": "hold", "blocking": True,
        "message": f"Bursar hold: Tuition is unpaid. Contact {OFFICE} to have it lifted.",
    }]
    eligibility = api.get("/api/courses/CS101/eligibility/").json()
    assert eligibility["can_enroll"] is False and [r["code"] for r in eligibility["reasons"]] == ["hold"]


# --- the staff API ------------------------------------------------------------------------------------


def post_hold(client, **body):
    return client.post("/api/holds/", body, content_type="application/json")


def test_a_registrar_places_lists_and_lifts_holds_through_the_api(registrar, student, bursar):
    api = token_client(registrar)
    placed = post_hold(api, student=str(student.student_number), kind="bursar", reason="Tuition is unpaid.")
    assert placed.status_code == 201
    data = placed.json()
    assert (data["student"], data["student_email"], data["kind"], data["office"]) == (
        student.student_number, student.email, "bursar", OFFICE)
    assert (data["active"], data["placed_by"], data["placed_via"], data["lifted_at"]) == (
        True, registrar.email, "api", None)

    again = post_hold(api, student=student.email.upper(), kind="bursar", reason="Tuition and fees are unpaid.")
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert again.json()["reason"] == "Tuition and fees are unpaid."

    listed = api.get("/api/holds/", {"student": student.student_number, "active": "true"}).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == data["id"]

    lifted = api.post(f"/api/holds/{data['id']}/lift/")
    assert lifted.status_code == 200
    assert (lifted.json()["active"], lifted.json()["lifted_by"]) == (False, registrar.email)
    assert error_of(api.post(f"/api/holds/{data['id']}/lift/"), 409)["code"] == "hold_already_lifted"
    assert api.get("/api/holds/", {"active": "true"}).json()["count"] == 0
    assert api.get("/api/holds/", {"active": "false"}).json()["count"] == 1


def test_a_hold_that_does_not_validate_is_a_400_naming_each_field(registrar, bursar):
    api = token_client(registrar)
    error = error_of(post_hold(api, student="nobody@example.edu", kind="library", reason="x"), 400)
    assert error["fields"] == {
        "student": ["no student with the email address “nobody@example.edu”"],
        "kind": ["no hold kind “library”; give a kind's code, e.g. bursar"],
    }
    error = error_of(post_hold(api, student={"$ne": None}, kind="bursar", reason="x"), 400)
    assert list(error["fields"]) == ["student"]
    assert not Hold.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("student", 403), ("staff", 403)])
def test_only_staff_with_the_registrars_rights_reach_the_holds_api(client, student, bursar, who, status):
    hold, _created = hold_place(student=student, kind=bursar, reason="Unpaid.")
    api = {"anonymous": client, "student": token_client(student), "staff": token_client(StaffFactory())}[who]
    assert api.get("/api/holds/").status_code == status
    assert post_hold(api, student=student.email, kind="bursar", reason="x").status_code == status
    assert api.post(f"/api/holds/{hold.pk}/lift/").status_code == status
    assert Hold.objects.get().is_active and Hold.objects.get().reason == "Unpaid."


def test_staff_given_only_the_view_permission_may_list_but_not_place_or_lift(student, bursar):
    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_hold"))
    hold, _created = hold_place(student=student, kind=bursar, reason="Unpaid.")
    api = token_client(viewer)
    assert api.get("/api/holds/").json()["count"] == 1
    assert error_of(post_hold(api, student=student.email, kind="bursar", reason="x"), 403)["code"] == (
        "permission_denied")
    assert api.post(f"/api/holds/{hold.pk}/lift/").status_code == 403


def test_a_holds_reason_and_office_are_shown_as_text(client, student, course):
    kind = HoldKindFactory(code="library", name="Library", office='<a href="https://evil.example">the desk</a>')
    hold_place(student=student, kind=kind, reason="<script>alert(1)</script>")
    client.force_login(student)
    for page in ("/", "/profile/", course.get_absolute_url()):
        html = client.get(page).content.decode()
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
        assert 'href="https://evil.example"' not in html, page
