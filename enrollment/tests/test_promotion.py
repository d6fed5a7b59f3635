"""A seat that comes up goes to the first waiting student whose term still allows it."""

import datetime
import itertools

import pytest
from django.core import mail

from accounts.tests.factories import UserFactory
from catalog.models import Course
from enrollment.models import Enrollment, EnrollmentEvent, Status
from enrollment.services import (
    NotEligible,
    course_fill_from_waitlist,
    enrollment_create,
    enrollment_drop,
    enrollment_promote,
)
from enrollment.tests.test_locks import at_once, course_at, fresh


def status_of(student, course) -> str:
    return Enrollment.objects.get(student=student, course=course).status


@pytest.fixture
def full_course(term):
    """A one-seat 9 o'clock course: its seat holder, then two students waiting, first then second."""
    course = course_at(term, 9, capacity=1)
    holder, first, second = UserFactory.create_batch(3)
    for student in (holder, first, second):
        enrollment_create(student=student, course=fresh(course))
    mail.outbox.clear()
    return course, holder, first, second


def drop(student, course):
    enrollment = Enrollment.objects.with_course().get(student=student, course=course)
    enrollment_drop(enrollment=enrollment, actor=student)


def test_a_student_whose_course_now_clashes_is_passed_over_kept_in_line_and_told_why(term, full_course):
    course, holder, first, second = full_course
    other = course_at(term, 11)
    enrollment_create(student=first, course=fresh(other))
    Course.objects.filter(pk=other.pk).update(starts_at=datetime.time(9, 30), ends_at=datetime.time(10, 20))
    mail.outbox.clear()

    drop(holder, course)

    assert status_of(second, course) == Status.ENROLLED
    passed = Enrollment.objects.get(student=first, course=course)
    assert passed.status == Status.WAITLISTED
    assert "Passed over for a free seat" in passed.waitlist_note and other.code in passed.waitlist_note
    event = EnrollmentEvent.objects.get(enrollment=passed, to_status="waitlisted", from_status="waitlisted")
    assert other.code in event.note
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == sorted([
        (first.email, f"A seat in {course.code} went to the next student"),
        (second.email, f"You are enrolled in {course.code}"),
    ])
    assert other.code in next(m.body for m in mail.outbox if m.to == [first.email])
    assert fresh(course).enrolled_count == 1 and fresh(course).waitlist_count == 1


def test_a_student_over_the_credit_limit_is_passed_over(term, full_course):
    course, holder, first, second = full_course
    heavy = course_at(term, 12, credits=9)
    enrollment_create(student=first, course=fresh(heavy))
    enrollment_create(student=first, course=fresh(course_at(term, 14, credits=6)))
    Course.objects.filter(pk=heavy.pk).update(credits=10)  # 3 + 10 + 6 is now 19

    drop(holder, course)

    assert status_of(first, course) == Status.WAITLISTED
    assert "above the limit of 18" in Enrollment.objects.get(student=first, course=course).waitlist_note
    assert status_of(second, course) == Status.ENROLLED


def test_a_passed_over_student_is_told_once_and_gets_a_seat_once_their_term_allows_it(term, full_course):
    course, holder, first, second = full_course
    other = course_at(term, 11)
    enrollment_create(student=first, course=fresh(other))
    Course.objects.filter(pk=other.pk).update(starts_at=datetime.time(9))
    Course.objects.filter(pk=course.pk).update(capacity=3)

    assert course_fill_from_waitlist(course=fresh(course)) == [Enrollment.objects.get(student=second, course=course)]
    course_fill_from_waitlist(course=fresh(course))
    assert len([m for m in mail.outbox if m.to == [first.email]]) == 1
    assert EnrollmentEvent.objects.filter(enrollment__student=first, from_status="waitlisted").count() == 1

    drop(first, other)
    promoted = course_fill_from_waitlist(course=fresh(course))
    assert [e.student for e in promoted] == [first]
    assert Enrollment.objects.get(student=first, course=course).waitlist_note == ""


def test_the_reason_shows_on_my_enrollments_and_the_course_page(term, full_course, client):
    course, holder, first, second = full_course
    other = course_at(term, 11)
    enrollment_create(student=first, course=fresh(other))
    Course.objects.filter(pk=other.pk).update(starts_at=datetime.time(9))
    drop(holder, course)
    client.force_login(first)

    for page in ("/enrollments/", course.get_absolute_url()):
        content = client.get(page).content.decode()
        assert "Passed over for a free seat" in content and f"clashes with {other.code}" in content, page


def test_staff_cannot_promote_a_student_whose_term_does_not_allow_it(term, full_course, staff):
    course, holder, first, second = full_course
    other = course_at(term, 11)
    enrollment_create(student=first, course=fresh(other))
    Course.objects.filter(pk=other.pk).update(starts_at=datetime.time(9))

    waiting = Enrollment.objects.with_course().get(student=first, course=course)
    with pytest.raises(NotEligible, match="clashes with"):
        enrollment_promote(enrollment=waiting, actor=staff, override_capacity=True)
    assert status_of(first, course) == Status.WAITLISTED
    assert fresh(course).enrolled_count == 1


def test_a_promotion_racing_the_students_own_enrolls_never_double_books(term):
    """The student joins a full course's waitlist and enrolls in a course at
    the same hour at once, while the seat holder drops: whichever way it
    goes, the student never ends up in two courses at once."""
    for _ in range(3):
        full, clashing = course_at(term, 9, capacity=1), course_at(term, 9)
        holder, student = UserFactory.create_batch(2)
        enrollment_create(student=holder, course=fresh(full))

        at_once([
            lambda student=student, full=full: enrollment_create(student=student, course=fresh(full)),
            lambda student=student, clashing=clashing: enrollment_create(student=student, course=fresh(clashing)),
            lambda holder=holder, full=full: drop(holder, full),
        ])

        active = [e.course for e in Enrollment.objects.filter(student=student).active().with_course()]
        assert len(active) == 1, [c.code for c in active]
        assert not any(a.clashes_with(b) for a, b in itertools.combinations(active, 2))
