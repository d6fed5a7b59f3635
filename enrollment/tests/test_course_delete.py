"""A course whose students are enrolled, waiting or graded cannot be deleted; their history stays."""

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalog.models import Course
from enrollment.models import Enrollment, EnrollmentEvent
from enrollment.services import (
    CourseInUse,
    course_delete,
    enrollment_create,
    enrollment_drop,
    enrollment_set_grade,
)


def delete_url(course) -> str:
    return reverse("admin:catalog_course_delete", args=[course.pk])


def dropped(student, course):
    enrollment = enrollment_create(student=student, course=course)
    enrollment.course = Course.objects.with_term().get(pk=course.pk)
    return enrollment_drop(enrollment=enrollment, actor=student)


@pytest.fixture
def graded_then_dropped(course, staff):
    student = UserFactory()
    enrollment = enrollment_create(student=student, course=course)
    enrollment_set_grade(enrollment=enrollment, grade="B", actor=staff, reason="final exam")
    return enrollment_drop(enrollment=enrollment, actor=staff)


def test_deleting_a_course_with_an_enrolled_student_is_refused_in_code(student, course):
    enrollment_create(student=student, course=course)

    with pytest.raises(ProtectedError):
        Course.objects.get(pk=course.pk).delete()
    with pytest.raises(CourseInUse, match="1 enrolled, waitlisted or graded student"):
        course_delete(course=course)
    assert Course.objects.filter(pk=course.pk).exists()
    assert Enrollment.objects.count() == 1 and EnrollmentEvent.objects.count() == 1


def test_a_graded_student_keeps_the_course_even_after_dropping_it(course, graded_then_dropped):
    with pytest.raises(CourseInUse):
        course_delete(course=course)
    assert Enrollment.objects.get().grade == "B"


def test_a_course_with_only_dropped_ungraded_enrollments_is_deleted_with_them(student, course):
    dropped(student, course)

    course_delete(course=course)

    assert not Course.objects.filter(pk=course.pk).exists()
    assert not Enrollment.objects.exists() and not EnrollmentEvent.objects.exists()


def test_the_admin_refuses_to_delete_a_course_with_enrolled_students_and_says_why(
    registrar_client, student, course
):
    enrollment_create(student=student, course=course)

    page = registrar_client.get(delete_url(course))
    assert "Ada Lovelace – CS101 (Enrolled): an enrolled, waitlisted or graded student keeps the course" in (
        page.content.decode()
    )
    response = registrar_client.post(delete_url(course), {"post": "yes"})
    assert response.status_code == 200 and "keeps the course" in response.content.decode()

    bulk = registrar_client.post(
        reverse("admin:catalog_course_changelist"),
        {"action": "delete_selected", "_selected_action": [course.pk], "post": "yes"},
    )
    assert "keeps the course" in bulk.content.decode()
    assert Course.objects.filter(pk=course.pk).exists() and Enrollment.objects.count() == 1


def test_the_admin_deletes_a_course_whose_enrollments_were_all_dropped(registrar_client, student, course):
    dropped(student, course)

    page = registrar_client.get(delete_url(course))
    assert "keeps the course" not in page.content.decode()
    response = registrar_client.post(delete_url(course), {"post": "yes"})

    assert response.status_code == 302
    assert not Course.objects.filter(pk=course.pk).exists()
    assert not Enrollment.objects.exists() and not EnrollmentEvent.objects.exists()


def test_an_enrollment_made_after_the_confirmation_page_stops_the_deletion(registrar_client, course, monkeypatch):
    """The confirmation page saw no student; one enrolled before the click."""
    other = UserFactory()
    monkeypatch.setattr(
        "enrollment.admin.CourseAdmin.get_deleted_objects",
        lambda self, objs, request: ([str(course)], {}, set(), []),
    )
    enrollment_create(student=other, course=course)

    response = registrar_client.post(delete_url(course), {"post": "yes"}, follow=True)

    assert "has 1 enrolled, waitlisted or graded student" in response.content.decode()
    assert Course.objects.filter(pk=course.pk).exists() and Enrollment.objects.count() == 1
