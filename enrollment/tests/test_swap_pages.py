"""The swap on the course page and in the API: offered where it can be made, every reason where it cannot."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.tests.factories import CourseFactory
from enrollment.models import Enrollment, EnrollmentEvent, Status
from enrollment.services import enrollment_create
from enrollment.swaps import enrollment_swap
from enrollment.tests.test_locks import fresh
from school.api.testing import error_of, token_client


def course_at(term, code, hour, **fields):
    return CourseFactory(term=term, code=code, meeting_days="MWF", starts_at=datetime.time(hour),
                         ends_at=datetime.time(hour, 50), **fields)


@pytest.fixture
def held(term, student):
    """The student holds CS101 at 9 and MATH201 at 11; CS102 clashes with CS101."""
    cs101, math201 = course_at(term, "CS101", 9), course_at(term, "MATH201", 11)
    for course in (cs101, math201):
        enrollment_create(student=student, course=course)
    return cs101, math201, course_at(term, "CS102", 9)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


def status_of(student, code):
    return Enrollment.objects.get(student=student, course__code=code).status


# --- the course page -----------------------------------------------------------------------------


def test_the_course_page_offers_the_swap_that_resolves_the_clash_and_says_why_not_the_others(client, student, held):
    client.force_login(student)
    html = client.get("/courses/CS102/").content.decode()

    assert "CS102 clashes with CS101" in html and "Enroll in CS102</button>" not in html
    assert "Enroll in CS102 instead of CS101</button>" in html
    assert "Enroll in CS102 instead of MATH201" not in html
    assert "Why not instead of your other courses" in html and "Instead of MATH201:" in html


def test_a_full_course_offers_to_wait_with_the_swap(client, term, student, held):
    full = course_at(term, "ART301", 9, capacity=0)
    client.force_login(student)
    html = client.get(full.get_absolute_url()).content.decode()
    assert "Join the waitlist for ART301 instead of CS101</button>" in html
    assert "you keep your course until a seat in ART301 is yours" in html


def test_no_swap_is_offered_for_a_course_the_student_holds_or_to_a_visitor(client, student, held):
    assert "instead of" not in client.get("/courses/CS101/").content.decode()
    client.force_login(student)
    assert "instead of" not in client.get("/courses/CS101/").content.decode()


def test_the_course_page_stays_at_four_queries_with_swaps_to_offer(client, term, student, held,
                                                                     django_assert_num_queries):
    client.force_login(student)
    client.get("/courses/CS102/")
    with django_assert_num_queries(4):
        client.get("/courses/CS102/")
    for hour in (13, 14, 15):
        enrollment_create(student=student, course=course_at(term, f"HIST{hour}1", hour))
    client.get("/courses/CS102/")  # new courses: the prerequisites are read again, once
    with django_assert_num_queries(4):
        html = client.get("/courses/CS102/").content.decode()
    assert "Enroll in CS102 instead of CS101</button>" in html and html.count("<li>Instead of ") == 4


def test_swapping_from_the_course_page(client, student, held):
    client.force_login(student)
    response = client.post(reverse("enrollment:course_swap", args=["CS102"]), {"drop": "CS101"}, follow=True)

    assert "You are enrolled in CS102" in response.content.decode() and "instead of CS101" in response.content.decode()
    assert (status_of(student, "CS102"), status_of(student, "CS101")) == ("enrolled", "dropped")
    assert EnrollmentEvent.objects.filter(enrollment__course__code="CS101", to_status="dropped").get().via == "page"


def test_a_refused_swap_shows_every_reason_and_changes_nothing(client, term, student, held):
    term.enrollment_closes_at = timezone.now() - datetime.timedelta(minutes=1)
    term.save()
    client.force_login(student)
    html = client.post(reverse("enrollment:course_swap", args=["CS102"]), {"drop": "MATH201"},
                       follow=True).content.decode()
    assert "Enrollment for Fall 2026 is closed." in html and "CS102 clashes with CS101" in html
    assert (status_of(student, "MATH201"), Enrollment.objects.filter(course__code="CS102").count()) == ("enrolled", 0)


@pytest.mark.parametrize("drop", ["", "NOPE999", "CS 999"])
def test_a_swap_of_an_unknown_course_asks_for_one_the_student_holds(client, student, held, drop):
    client.force_login(student)
    html = client.post(reverse("enrollment:course_swap", args=["CS102"]), {"drop": drop}, follow=True).content.decode()
    assert "Choose a course you hold to give up." in html
    assert status_of(student, "CS101") == "enrolled"


def test_the_swap_needs_login_and_post(client, student, held):
    url = reverse("enrollment:course_swap", args=["CS102"])
    response = client.post(url, {"drop": "CS101"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(student)
    assert client.get(url).status_code == 405
    assert client.post(reverse("enrollment:course_swap", args=["NOPE999"]), {"drop": "CS101"}).status_code == 404


def test_a_student_cannot_swap_away_another_students_course(client, student, held):
    other = UserFactory()
    client.force_login(other)
    html = client.post(reverse("enrollment:course_swap", args=["CS102"]), {"drop": "CS101"},
                       follow=True).content.decode()
    assert "You are not enrolled in CS101." in html
    assert status_of(student, "CS101") == "enrolled"


def test_a_waiting_swap_shows_on_the_course_page_and_my_enrollments(client, term, student, held):
    cs101 = held[0]
    full = course_at(term, "ART301", 9, capacity=0)
    enrollment_swap(student=student, course=fresh(full), replacing=fresh(cs101))
    client.force_login(student)

    assert "Swap: CS101 is dropped when you get a seat in ART301." in client.get("/courses/ART301/").content.decode()
    assert "swap: CS101 is dropped when you get the seat" in client.get("/enrollments/").content.decode()


# --- the API ---------------------------------------------------------------------------------------


def swap(api, drop, enroll):
    return api.post("/api/swap/", {"drop": drop, "enroll": enroll}, content_type="application/json")


def test_swapping_through_the_api(student, held):
    api = token_client(student)
    response = swap(api, "cs101", "CS102")
    assert response.status_code == 201
    data = response.json()
    assert (data["course"], data["status"], data["replaces"]) == ("CS102", "enrolled", None)
    assert status_of(student, "CS101") == "dropped"
    assert EnrollmentEvent.objects.get(enrollment__course__code="CS102").via == "api"


def test_a_full_course_puts_the_caller_on_its_waitlist_with_the_swap(term, student, held):
    course_at(term, "ART301", 9, capacity=0)
    api = token_client(student)
    data = swap(api, "CS101", "ART301").json()
    assert (data["status"], data["waitlist_position"], data["replaces"]) == ("waitlisted", 1, "CS101")
    assert status_of(student, "CS101") == "enrolled"
    listed = {e["course"]: e for e in api.get("/api/enrollments/").json()}
    assert listed["ART301"]["replaces"] == "CS101" and listed["CS101"]["replaces"] is None


def test_a_refused_swap_is_a_422_with_every_reason(term, student, held):
    term.enrollment_closes_at = timezone.now() - datetime.timedelta(minutes=1)
    term.save()
    error = error_of(swap(token_client(student), "MATH201", "CS102"), 422)
    assert error["code"] == "not_eligible"
    assert [r["code"] for r in error["reasons"]] == ["enrollment_closed", "schedule_conflict"]
    assert status_of(student, "MATH201") == "enrolled"


def test_swapping_a_course_the_caller_does_not_hold_is_a_409(term, student, held):
    course_at(term, "HIST101", 15)
    error = error_of(swap(token_client(student), "HIST101", "CS102"), 409)
    assert error["code"] == "not_enrolled" and error["reasons"][0]["code"] == "not_enrolled"


def test_swapping_into_a_course_already_held_is_a_409(student, held):
    error = error_of(swap(token_client(student), "CS101", "MATH201"), 409)
    assert error["code"] == "already_enrolled"


def test_unknown_courses_are_404_and_bad_bodies_400(student, held):
    api = token_client(student)
    assert error_of(swap(api, "CS101", "NOPE999"), 404)["code"] == "not_found"
    assert error_of(swap(api, "NOPE999", "CS102"), 404)["code"] == "not_found"
    error = error_of(api.post("/api/swap/", {"drop": {"$ne": None}, "enroll": ""}, content_type="application/json"),
                     400)
    assert set(error["fields"]) == {"drop", "enroll"}
    assert status_of(student, "CS101") == "enrolled"


def test_the_swap_endpoint_needs_a_caller(client, held):
    assert error_of(client.post("/api/swap/", {"drop": "CS101", "enroll": "CS102"},
                                content_type="application/json"), 401)["code"] == "not_authenticated"


def test_a_waitlisted_course_cannot_be_swapped_away(term, student, held):
    full = course_at(term, "ART301", 15, capacity=0)
    enrollment_create(student=student, course=full)
    assert status_of(student, "ART301") == Status.WAITLISTED
    error = error_of(swap(token_client(student), "ART301", "CS102"), 409)
    assert error["reasons"][0]["message"] == "You are not enrolled in ART301."


def test_the_admin_shows_which_course_a_waiting_swap_replaces(registrar_client, term, student, held):
    full = course_at(term, "ART301", 9, capacity=0)
    waiting = enrollment_swap(student=student, course=fresh(full), replacing=fresh(held[0]))
    html = registrar_client.get(reverse("admin:enrollment_enrollment_change", args=[waiting.pk])).content.decode()
    assert "Swap for" in html and "CS101 (Enrolled)" in html
    assert "swap: replaces CS101 once promoted" in html  # its history
