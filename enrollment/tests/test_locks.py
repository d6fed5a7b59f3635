"""The registration lock: one student's changes run one at a time, different students' never wait."""

import datetime
import itertools
import threading

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Course
from catalog.selectors import course_prerequisites
from catalog.tests.factories import CourseFactory
from enrollment import locks
from enrollment.appointments import term_appointment_groups
from enrollment.models import Enrollment, RegistrationLock, Status
from enrollment.services import NotEligible, TryAgain, enrollment_create


def course_at(term, hour: int, **fields) -> Course:
    fields = {"credits": 3, "meeting_days": "MWF", **fields}
    return CourseFactory(term=term, starts_at=datetime.time(hour), ends_at=datetime.time(hour, 50), **fields)


def at_once(calls) -> list:
    """Run every call in its own thread, released together; what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def active_courses(student) -> list[Course]:
    return [e.course for e in Enrollment.objects.filter(student=student).active().with_course()]


def assert_term_allowed(student) -> None:
    courses = active_courses(student)
    assert sum(course.credits for course in courses) <= settings.REGISTRAR_CREDIT_LIMIT
    assert not [(a.code, b.code) for a, b in itertools.combinations(courses, 2) if a.clashes_with(b)]


def fresh(course) -> Course:
    """The course as a request reads it, its prerequisites and appointment groups already in the cache."""
    course = Course.objects.with_term().get(pk=course.pk)
    course_prerequisites(course)
    term_appointment_groups(course.term)
    return course


def hold_lock(student, term, *, seconds=30) -> RegistrationLock:
    """The lock as a request of student's holds it between taking it and writing its enrollment."""
    return RegistrationLock.objects.create(
        student=student, term=term, holder="f" * 32, locked_until=timezone.now() + datetime.timedelta(seconds=seconds)
    )


@pytest.fixture
def no_waiting(monkeypatch):
    """A busy lock refuses at once, so a test can tell waiting from not waiting."""
    monkeypatch.setattr(locks, "WAIT_SECONDS", 0)


def test_eight_parallel_enrolls_of_each_of_three_students_stay_within_the_credit_limit(term, patient):
    courses = [course_at(term, 8 + hour) for hour in range(8)]  # 24 credits at distinct hours
    students = UserFactory.create_batch(3)

    results = at_once([
        (lambda s=student, c=course: enrollment_create(student=s, course=fresh(c)))
        for student in students for course in courses
    ])

    refusals = [r for r in results if isinstance(r, Exception)]
    assert [r.reasons[0].code for r in refusals] == ["credit_limit"] * 6, refusals
    for student in students:
        assert_term_allowed(student)
    # Serialised, not refused for being busy: each student gets their 18 credits.
    assert [len(active_courses(s)) for s in students] == [6, 6, 6]


def test_parallel_enrolls_in_courses_at_the_same_hour_book_only_one(term, patient):
    students = UserFactory.create_batch(3)
    pairs = [(course_at(term, 9), course_at(term, 9)) for _ in students]

    at_once([
        (lambda s=student, c=course: enrollment_create(student=s, course=fresh(c)))
        for student, pair in zip(students, pairs, strict=True) for course in pair
    ])

    for student in students:
        assert len(active_courses(student)) == 1
        assert_term_allowed(student)


def test_eight_parallel_enrolls_through_the_pages_stay_within_the_credit_limit(term, patient):
    courses = [course_at(term, 8 + hour) for hour in range(8)]
    student = UserFactory()

    def post(course):
        client = Client()
        client.force_login(student)
        response = client.post(f"/courses/{course.code}/enroll/")
        return response.status_code

    assert at_once([lambda c=course: post(c) for course in courses]) == [302] * 8
    assert_term_allowed(student)
    assert len(active_courses(student)) == 6


def test_eight_parallel_enrolls_through_the_api_stay_within_the_credit_limit(term, patient):
    courses = [course_at(term, 8 + hour) for hour in range(7)] + [course_at(term, 8)]
    student = UserFactory()

    def post(course):
        client = Client()
        client.force_login(student)
        return client.post("/api/enroll/", {"course": course.code}, content_type="application/json").status_code

    statuses = at_once([lambda c=course: post(c) for course in courses])
    assert sorted(statuses) == [201] * 6 + [422] * 2  # one over the limit, one clashing
    assert_term_allowed(student)


def test_another_students_lock_never_delays_an_enroll(term, no_waiting):
    course = course_at(term, 9)
    busy, other = UserFactory.create_batch(2)
    hold_lock(busy, term)

    assert enrollment_create(student=other, course=course).status == Status.ENROLLED
    with pytest.raises(TryAgain, match="still in progress"):
        enrollment_create(student=busy, course=course)
    assert fresh(course).enrolled_count == 1


def test_a_lock_held_by_a_request_that_died_expires(term, no_waiting):
    student = UserFactory()
    lock = hold_lock(student, term, seconds=-1)

    assert enrollment_create(student=student, course=course_at(term, 9)).status == Status.ENROLLED
    lock.refresh_from_db()
    assert lock.holder != "f" * 32


def test_the_next_change_takes_the_lock_over_from_a_finished_one_at_once(term, no_waiting):
    """The lock is not released by a write of its own: the enrollment that
    carries its token says the holder is done."""
    student = UserFactory()
    first = enrollment_create(student=student, course=course_at(term, 9))
    lock = RegistrationLock.objects.get(student=student, term=term)
    assert lock.locked_until > timezone.now() and first.lock_token == lock.holder

    assert enrollment_create(student=student, course=course_at(term, 10)).status == Status.ENROLLED


def test_a_change_refused_after_taking_the_lock_gives_it_back(term, no_waiting, monkeypatch):
    student = UserFactory()

    def course_changing_too_fast(course, **kwargs):
        raise TryAgain("try again")

    monkeypatch.setattr("enrollment.services._take_seat_or_join_waitlist", course_changing_too_fast)
    with pytest.raises(TryAgain):
        enrollment_create(student=student, course=course_at(term, 9))
    monkeypatch.undo()

    assert enrollment_create(student=student, course=course_at(term, 10)).status == Status.ENROLLED


def test_a_refusal_by_the_rules_costs_no_write(term, django_assert_num_queries):
    student = UserFactory()
    enrollment_create(student=student, course=course_at(term, 9))
    clashing = fresh(course_at(term, 9))
    with django_assert_num_queries(2), pytest.raises(NotEligible):  # the student's holds and enrollments
        enrollment_create(student=student, course=clashing)


def test_a_students_next_course_costs_one_write_for_the_lock(term, django_assert_num_queries):
    student = UserFactory()
    enrollment_create(student=student, course=course_at(term, 9))
    course = fresh(course_at(term, 10))
    # Eligibility (the student's holds and enrollments), the lock taken over,
    # the seat, the enrollment, its event and the holds again.
    with django_assert_num_queries(7):
        enrollment_create(student=student, course=course)


def test_a_busy_student_is_told_to_try_again_with_a_conflict_in_the_api(term, no_waiting, client):
    student = UserFactory()
    course = course_at(term, 9)
    hold_lock(student, term)
    client.force_login(student)

    response = client.post("/api/enroll/", {"course": course.code}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "try_again"
    page = client.post(f"/courses/{course.code}/enroll/", follow=True)
    assert "try again in a moment" in page.content.decode()
    assert not Enrollment.objects.exists()


def test_the_lock_is_taken_against_what_the_rules_were_checked_on(term, no_waiting):
    """A change whose lock was taken over between its read and its write is
    refused, never applied to a term it did not see."""
    student = UserFactory()
    enrollment_create(student=student, course=course_at(term, 9))
    enrollments = list(Enrollment.objects.filter(student=student).with_course())
    assert locks.lock_term(student=student, term=term, enrollments=enrollments)
    assert locks.lock_term(student=student, term=term, enrollments=enrollments) is None

