"""Permits: eligibility lifts the rules a permit waives, once, until its last day."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.instructors import course_set_instructors
from catalog.models import Course
from catalog.tests.factories import CourseFactory
from enrollment.eligibility import enrollment_eligibility
from enrollment.models import Enrollment, EnrollmentEvent, Permit, Status
from enrollment.permits import permit_use
from enrollment.services import AlreadyEnrolled, NotEligible, enrollment_create, enrollment_drop
from enrollment.teaching import PermitRefused, permit_issue, teaching_course
from enrollment.tests.test_locks import at_once, course_at, fresh


def issue(instructor, course, student, waives, days=7, **options):
    taught = teaching_course(user=instructor, code=course.code)
    return permit_issue(taught=taught, student=student, waives=waives, actor=instructor,
                        valid_until=timezone.localdate() + datetime.timedelta(days=days), **options)


@pytest.fixture
def advanced(term, past_term, instructor):
    """CS201, taught by instructor, which requires CS100 (taken last term)."""
    basics = CourseFactory(code="CS100", term=past_term)
    course = CourseFactory(code="CS201", title="Data Structures", term=term)
    course.prerequisites.add(basics)
    course_set_instructors(course=course, instructors=[instructor])
    return fresh(course)


def test_the_course_page_says_who_waived_what_until_when_and_enrolling_uses_the_permit(advanced, instructor):
    student = UserFactory()
    client = Client()
    client.force_login(student)
    assert "Enroll in CS201" not in client.get("/courses/CS201/").content.decode()

    permit = issue(instructor, advanced, student, ["prerequisites"])
    html = client.get("/courses/CS201/").content.decode()

    until = permit.valid_until.strftime("%b. %-d, %Y").replace("May.", "May")
    assert f"Waived by permit (Ama Mensah, until {until})" in html and 'class="waived"' in html
    assert "Enroll in CS201" in html
    client.post("/courses/CS201/enroll/")
    enrollment = Enrollment.objects.get(student=student)
    assert (enrollment.status, enrollment.permit) == (Status.ENROLLED, permit)
    assert Permit.objects.get(pk=permit.pk).used_at is not None
    event = EnrollmentEvent.objects.get(enrollment=enrollment)
    assert event.note.startswith("permit waived prerequisites (Ama Mensah, until")


def test_a_used_permit_waives_nothing_the_next_time(advanced, instructor):
    student = UserFactory()
    issue(instructor, advanced, student, ["prerequisites"])
    enrollment = enrollment_create(student=student, course=fresh(advanced))
    enrollment_drop(enrollment=enrollment, actor=student)

    with pytest.raises(NotEligible) as refused:
        enrollment_create(student=student, course=fresh(advanced))
    assert [r.code for r in refused.value.reasons] == ["prerequisite_missing"]
    assert Enrollment.objects.get(student=student).status == Status.DROPPED


def test_an_expired_permit_or_one_for_other_rules_waives_nothing(advanced, instructor):
    student = UserFactory()
    permit = issue(instructor, advanced, student, ["prerequisites"])
    Permit.objects.filter(pk=permit.pk).update(valid_until=timezone.localdate() - datetime.timedelta(days=1))
    assert not enrollment_eligibility(student=student, course=fresh(advanced)).can_enroll

    issue(instructor, advanced, student, ["schedule", "window"])  # the newest one counts
    eligibility = enrollment_eligibility(student=student, course=fresh(advanced))
    assert not eligibility.can_enroll and eligibility.permit is None


def test_a_capacity_permit_gives_a_seat_beyond_capacity_ahead_of_the_waitlist(taught, instructor):
    first, waiting, favoured = UserFactory.create_batch(3)
    Course.objects.filter(pk=taught.pk).update(capacity=1)
    enrollment_create(student=first, course=fresh(taught))
    enrollment_create(student=waiting, course=fresh(taught))
    issue(instructor, taught, favoured, ["capacity"])

    eligibility = enrollment_eligibility(student=favoured, course=fresh(taught))
    assert eligibility.can_enroll and not eligibility.will_waitlist and eligibility.waives_capacity
    assert enrollment_create(student=favoured, course=fresh(taught)).status == Status.ENROLLED
    course = Course.objects.get(pk=taught.pk)
    assert (course.enrolled_count, course.waitlist_count) == (2, 1)


def test_parallel_enrolls_use_a_permit_once(taught, instructor, patient):
    student = UserFactory()
    Course.objects.filter(pk=taught.pk).update(capacity=0)
    permit = issue(instructor, taught, student, ["capacity"])

    results = at_once([lambda: enrollment_create(student=student, course=fresh(taught)) for _ in range(6)])

    assert sum(isinstance(r, Enrollment) for r in results) == 1
    assert all(isinstance(r, AlreadyEnrolled) for r in results if not isinstance(r, Enrollment))
    assert Course.objects.get(pk=taught.pk).enrolled_count == 1
    assert EnrollmentEvent.objects.filter(note__startswith="permit").count() == 1
    assert Permit.objects.get(pk=permit.pk).used_at is not None


def test_of_parallel_uses_of_one_permit_one_succeeds(taught, instructor):
    permit = issue(instructor, taught, UserFactory(), ["capacity"])
    results = at_once([lambda: permit_use(Permit.objects.get(pk=permit.pk), now=timezone.now()) for _ in range(8)])
    assert results.count(True) == 1


def test_a_waitlist_place_taken_with_a_clash_permit_keeps_it_when_a_seat_comes_up(term, instructor):
    student, holder = UserFactory.create_batch(2)
    mine = course_at(term, 9)
    wanted = course_at(term, 9, capacity=1)
    course_set_instructors(course=wanted, instructors=[instructor])
    enrollment_create(student=student, course=fresh(mine))
    seat = enrollment_create(student=holder, course=fresh(wanted))
    issue(instructor, wanted, student, ["schedule"])

    assert enrollment_create(student=student, course=fresh(wanted)).status == Status.WAITLISTED
    seat.course = fresh(wanted)
    enrollment_drop(enrollment=seat, actor=holder)

    assert Enrollment.objects.get(student=student, course=wanted).status == Status.ENROLLED


def test_issuing_checks_the_rules_day_and_student_and_raises_the_course_hint(taught, instructor):
    student = UserFactory()
    with pytest.raises(PermitRefused, match="Choose the rules"):
        issue(instructor, taught, student, [])
    with pytest.raises(PermitRefused, match="in the past"):
        issue(instructor, taught, student, ["capacity"], days=-1)
    with pytest.raises(PermitRefused, match="cannot outlast its term"):
        issue(instructor, taught, student, ["capacity"], days=500)
    enrollment_create(student=student, course=fresh(taught))
    with pytest.raises(AlreadyEnrolled):
        issue(instructor, taught, student, ["capacity"])
    assert not Permit.objects.exists() and Course.objects.get(pk=taught.pk).permits_until is None

    other = UserFactory()
    issue(instructor, taught, other, ["capacity"], days=9)
    issue(instructor, taught, other, ["capacity"], days=3)
    assert Course.objects.get(pk=taught.pk).permits_until == timezone.localdate() + datetime.timedelta(days=9)


def test_a_permit_costs_the_course_page_one_query_and_only_where_there_is_one(
    advanced, instructor, client, django_assert_num_queries
):
    student = UserFactory()
    client.force_login(student)
    client.get("/courses/CS201/")
    with django_assert_num_queries(4):  # the user, the course, the enrollments, the student's holds
        client.get("/courses/CS201/")
    issue(instructor, advanced, UserFactory(), ["prerequisites"])
    with django_assert_num_queries(5):  # and the student's permit
        client.get("/courses/CS201/")


def test_the_permits_page_issues_and_lists_them(advanced, instructor):
    student = UserFactory(email="leo@example.edu")
    client = Client()
    client.force_login(instructor)
    until = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()

    bad = client.post("/teaching/CS201/permits/", {"student": "nobody@example.edu", "valid_until": until})
    assert bad.context["form"].errors.keys() == {"student", "waives"}
    done = client.post("/teaching/CS201/permits/", {"student": "LEO@example.edu", "waives": ["prerequisites"],
                                                    "valid_until": until}, follow=True)
    html = done.content.decode()
    assert f"Permit issued to {student} for CS201: prerequisites waived." in html
    assert [p.state for p in done.context["permits"]] == ["valid"]
    assert Permit.objects.get().via == "teaching"
