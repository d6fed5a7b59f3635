from decimal import Decimal

from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalog.tests.factories import CourseFactory
from enrollment.models import Enrollment
from enrollment.services import enrollment_create
from enrollment.tests.factories import EnrollmentFactory


def test_my_enrollments_groups_by_term_with_credits_gpa_and_waitlist_position(client, term, past_term, student):
    EnrollmentFactory(student=student, course=CourseFactory(term=past_term, code="CS100", credits=4), grade="A")
    EnrollmentFactory(student=student, course=CourseFactory(term=past_term, code="HIST100", credits=2), grade="C")
    enrollment_create(student=student, course=CourseFactory(term=term, code="CS200", credits=3))
    full = CourseFactory(term=term, code="MATH300", capacity=1)
    enrollment_create(student=UserFactory(), course=full)
    enrollment_create(student=UserFactory(), course=full)
    enrollment_create(student=student, course=full)

    client.force_login(student)
    response = client.get(reverse("enrollment:my_enrollments"))
    transcript = response.context["transcript"]
    assert [group.term.name for group in transcript.terms] == ["Fall 2026", "Spring 2026"]
    current, past = transcript.terms
    assert current.enrolled_credits == 3
    assert past.gpa == Decimal("3.33")
    waiting = next(e for e in current.enrollments if e.status == "waitlisted")
    assert waiting.waitlist_position == 2
    html = response.content.decode()
    assert "#2 in line" in html and "3.33" in html


def test_my_enrollments_query_count_does_not_grow(client, term, student, django_assert_max_num_queries):
    def fill(n):
        for course in CourseFactory.create_batch(n, term=term, capacity=0):
            enrollment_create(student=student, course=course)

    client.force_login(student)
    fill(2)
    with django_assert_max_num_queries(4) as few:
        client.get(reverse("enrollment:my_enrollments"))
    fill(4)
    with django_assert_max_num_queries(4) as many:
        client.get(reverse("enrollment:my_enrollments"))
    assert len(few.captured_queries) == len(many.captured_queries)


def test_dropping_from_my_enrollments_returns_there(client, course, student):
    enrollment_create(student=student, course=course)
    client.force_login(student)
    response = client.post(reverse("catalog:course_drop", args=[course.code]), {"next": "/enrollments/"})
    assert response["Location"] == "/enrollments/"
    assert Enrollment.objects.get(student=student).status == "dropped"


def test_an_outside_next_url_is_ignored(client, course, student):
    enrollment_create(student=student, course=course)
    client.force_login(student)
    response = client.post(reverse("catalog:course_drop", args=[course.code]), {"next": "https://evil.example/"})
    assert response["Location"] == course.get_absolute_url()


def test_my_enrollments_needs_login(client, db):
    response = client.get(reverse("enrollment:my_enrollments"))
    assert response.status_code == 302
