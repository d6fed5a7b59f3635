import datetime
import threading

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Course
from catalog.selectors import course_prerequisites
from catalog.tests.factories import CourseFactory
from enrollment.appointments import term_appointment_groups
from enrollment.models import Enrollment, EnrollmentEvent, Status, Via
from enrollment.services import (
    AlreadyEnrolled,
    DropDeadlinePassed,
    EnrollmentError,
    NotEligible,
    NotEnrolled,
    course_fill_from_waitlist,
    enrollment_create,
    enrollment_drop,
    enrollment_promote,
    enrollment_set_grade,
)
from enrollment.tests.factories import EnrollmentFactory


def counters(course):
    course.refresh_from_db()
    return course.enrolled_count, course.waitlist_count


def fetch(enrollment):
    return Enrollment.objects.with_course().get(pk=enrollment.pk)


def test_enroll_takes_a_seat_and_records_the_event(student, course):
    enrollment = enrollment_create(student=student, course=course, via=Via.API)
    assert enrollment.status == Status.ENROLLED
    assert counters(course) == (1, 0)
    event = EnrollmentEvent.objects.get(enrollment=enrollment)
    assert (event.actor, event.from_status, event.to_status, event.via) == (student, "", "enrolled", "api")


def test_a_full_course_puts_students_on_the_waitlist_in_arrival_order(course):
    students = UserFactory.create_batch(5)
    statuses = [enrollment_create(student=s, course=course).status for s in students]
    assert statuses == ["enrolled", "enrolled", "waitlisted", "waitlisted", "waitlisted"]
    assert counters(course) == (2, 3)
    waiting = list(Enrollment.objects.filter(course=course).in_waitlist_order().values_list("student", flat=True))
    assert waiting == [s.pk for s in students[2:]]


def test_a_seat_freed_after_the_course_was_read_goes_to_the_newcomer(student, course):
    """The page read the course full; a drop freed a seat before the click.
    Joining the waitlist is conditional on the course being full (or having
    a queue), so the student gets the free seat instead."""
    EnrollmentFactory.create_batch(1, course=course, status=Status.ENROLLED)
    Course.objects.filter(pk=course.pk).update(enrolled_count=1)
    course.enrolled_count = course.capacity  # as read before the drop
    assert enrollment_create(student=student, course=course).status == Status.ENROLLED
    assert counters(course) == (2, 0)


def test_a_seat_taken_after_the_course_was_read_sends_the_newcomer_to_the_waitlist(student, course):
    Course.objects.filter(pk=course.pk).update(enrolled_count=course.capacity)
    course.enrolled_count = 0  # as read before the last seat went
    assert enrollment_create(student=student, course=course).status == Status.WAITLISTED
    assert counters(course) == (2, 1)


def test_a_newcomer_to_a_full_course_costs_one_counter_update(student, course, django_assert_num_queries):
    Course.objects.filter(pk=course.pk).update(enrolled_count=course.capacity)
    course = Course.objects.with_term().get(pk=course.pk)  # as the enroll view reads it
    # Read by the first student; the others find them in the cache.
    course_prerequisites(course)
    term_appointment_groups(course.term)
    # Eligibility (the student's holds and enrollments), the registration
    # lock, the waitlist update, the enrollment, its event, and the holds
    # again (a hold placed meanwhile takes the enrollment back).
    with django_assert_num_queries(7):
        assert enrollment_create(student=student, course=course).status == Status.WAITLISTED
    assert counters(course) == (2, 1)


def test_enrolling_twice_is_refused_and_changes_nothing(student, course):
    enrollment_create(student=student, course=course)
    with pytest.raises(AlreadyEnrolled):
        enrollment_create(student=student, course=course)
    assert counters(course) == (1, 0)
    assert Enrollment.objects.count() == 1


def test_dropping_promotes_the_first_waitlisted_student_and_emails_them(course):
    first, second, waiting, later = UserFactory.create_batch(4)
    dropped = enrollment_create(student=first, course=course)
    enrollment_create(student=second, course=course)
    enrollment_create(student=waiting, course=course)
    enrollment_create(student=later, course=course)
    mail.outbox.clear()

    enrollment_drop(enrollment=fetch(dropped), actor=first)

    assert Enrollment.objects.get(student=waiting).status == Status.ENROLLED
    assert Enrollment.objects.get(student=later).status == Status.WAITLISTED
    assert Enrollment.objects.get(student=first).status == Status.DROPPED
    assert counters(course) == (2, 1)
    assert [m.to for m in mail.outbox] == [[waiting.email]]
    assert "CS101" in mail.outbox[0].subject
    promotion = EnrollmentEvent.objects.get(enrollment__student=waiting, to_status="enrolled")
    assert (promotion.from_status, promotion.note) == ("waitlisted", "promoted from the waitlist")


def test_dropping_without_a_waitlist_frees_the_seat(student, course):
    enrollment = enrollment_create(student=student, course=course)
    enrollment_drop(enrollment=fetch(enrollment), actor=student)
    assert counters(course) == (0, 0)


def test_leaving_the_waitlist_shortens_it(course):
    a, b, c = UserFactory.create_batch(3)
    enrollment_create(student=a, course=course)
    enrollment_create(student=b, course=course)
    waiting = enrollment_create(student=c, course=course)
    enrollment_drop(enrollment=fetch(waiting), actor=c)
    assert counters(course) == (2, 0)
    assert fetch(waiting).status == Status.DROPPED


def test_a_dropped_student_can_enroll_again_on_the_same_record(student, course):
    enrollment = enrollment_create(student=student, course=course)
    enrollment_drop(enrollment=fetch(enrollment), actor=student)
    again = enrollment_create(student=student, course=course)
    assert again.pk == enrollment.pk and again.status == Status.ENROLLED
    assert counters(course) == (1, 0)


def test_dropping_what_you_are_not_enrolled_in_is_refused(student, course):
    enrollment = enrollment_create(student=student, course=course)
    enrollment_drop(enrollment=fetch(enrollment), actor=student)
    with pytest.raises(NotEnrolled):
        enrollment_drop(enrollment=fetch(enrollment), actor=student)
    assert counters(course) == (0, 0)


def test_a_student_cannot_drop_another_students_enrollment(student, course):
    enrollment = enrollment_create(student=student, course=course)
    with pytest.raises(PermissionDenied):
        enrollment_drop(enrollment=fetch(enrollment), actor=UserFactory())
    assert fetch(enrollment).status == Status.ENROLLED


def test_a_stale_drop_loses_the_race_and_changes_nothing(student, course):
    enrollment = enrollment_create(student=student, course=course)
    stale = fetch(enrollment)
    enrollment_drop(enrollment=fetch(enrollment), actor=student)
    enrollment_create(student=student, course=course)
    stale.status = Status.WAITLISTED
    with pytest.raises(NotEnrolled):
        enrollment_drop(enrollment=stale, actor=student)
    assert counters(course) == (1, 0)


def test_enrollment_is_refused_outside_the_window(student, course):
    term = course.term
    term.enrollment_opens_at = timezone.now() + datetime.timedelta(days=1)
    term.save()
    with pytest.raises(NotEligible) as refused:
        enrollment_create(student=student, course=Course.objects.with_term().get(pk=course.pk))
    assert [r.code for r in refused.value.reasons] == ["enrollment_not_open"]
    term.enrollment_opens_at = timezone.now() - datetime.timedelta(days=10)
    term.enrollment_closes_at = timezone.now() - datetime.timedelta(days=1)
    term.save()
    with pytest.raises(NotEligible) as refused:
        enrollment_create(student=student, course=Course.objects.with_term().get(pk=course.pk))
    assert [r.code for r in refused.value.reasons] == ["enrollment_closed"]
    assert Enrollment.objects.count() == 0 and counters(course) == (0, 0)


def test_dropping_after_the_deadline_is_refused_unless_staff_override(student, staff, course):
    enrollment = enrollment_create(student=student, course=course)
    later = course.term.drop_deadline + datetime.timedelta(minutes=1)
    with pytest.raises(DropDeadlinePassed):
        enrollment_drop(enrollment=fetch(enrollment), actor=student, now=later)
    assert fetch(enrollment).status == Status.ENROLLED
    enrollment_drop(enrollment=fetch(enrollment), actor=staff, via=Via.ADMIN, override_deadline=True, now=later)
    event = EnrollmentEvent.objects.get(enrollment=enrollment, to_status="dropped")
    assert (event.actor, event.via, event.note) == (staff, "admin", "after the drop deadline")


@override_settings(REGISTRAR_CREDIT_LIMIT=7)
def test_the_credit_limit_counts_enrolled_and_waitlisted_courses_of_the_term(student, term):
    enrollment_create(student=student, course=CourseFactory(term=term, credits=4))
    heavy = CourseFactory(term=term, credits=4)
    with pytest.raises(NotEligible) as refused:
        enrollment_create(student=student, course=heavy)
    assert refused.value.reasons[0].code == "credit_limit"
    assert "to 8, above the limit of 7" in refused.value.message
    enrollment_create(student=student, course=CourseFactory(term=term, credits=3))


def test_schedule_conflicts_name_the_clashing_course(student, term):
    morning = CourseFactory(term=term, code="MATH201", title="Linear Algebra", meeting_days="MW",
                            starts_at=datetime.time(9), ends_at=datetime.time(10, 30))
    enrollment_create(student=student, course=morning)
    clash = CourseFactory(term=term, meeting_days="WF", starts_at=datetime.time(10), ends_at=datetime.time(11))
    with pytest.raises(NotEligible) as refused:
        enrollment_create(student=student, course=clash)
    assert "clashes with MATH201 Linear Algebra" in refused.value.message
    back_to_back = CourseFactory(term=term, meeting_days="MW", starts_at=datetime.time(10, 30),
                                 ends_at=datetime.time(12))
    assert enrollment_create(student=student, course=back_to_back).status == Status.ENROLLED


def test_prerequisites_need_a_passing_grade(student, term, past_term):
    basics = CourseFactory(term=past_term, code="CS100", title="Basics")
    advanced = CourseFactory(term=term, code="CS200")
    advanced.prerequisites.add(basics)
    with pytest.raises(NotEligible) as refused:
        enrollment_create(student=student, course=advanced)
    assert refused.value.reasons[0].code == "prerequisite_missing"
    taken = EnrollmentFactory(student=student, course=basics, grade="F")
    with pytest.raises(NotEligible):
        enrollment_create(student=student, course=advanced)
    Enrollment.objects.filter(pk=taken.pk).update(grade="C-")
    assert enrollment_create(student=student, course=advanced).status == Status.ENROLLED


def test_staff_can_override_capacity_and_it_is_recorded(staff, course):
    for student in UserFactory.create_batch(2):
        enrollment_create(student=student, course=course)
    extra = UserFactory()
    enrollment = enrollment_create(student=extra, course=course, actor=staff, via=Via.ADMIN, override_capacity=True)
    assert enrollment.status == Status.ENROLLED
    assert counters(course) == (3, 0)
    assert EnrollmentEvent.objects.get(enrollment=enrollment).note == "capacity override"


def test_promote_and_fill_from_waitlist_after_a_capacity_increase(staff, course):
    students = UserFactory.create_batch(5)
    for student in students:
        enrollment_create(student=student, course=course)
    with pytest.raises(EnrollmentError):
        enrollment_promote(enrollment=Enrollment.objects.with_course().get(student=students[2]), actor=staff)
    Course.objects.filter(pk=course.pk).update(capacity=4)
    course.refresh_from_db()
    promoted = course_fill_from_waitlist(course=course, actor=staff)
    assert [e.student_id for e in promoted] == [students[2].pk, students[3].pk]
    assert counters(course) == (4, 1)
    last = Enrollment.objects.with_course().get(student=students[4])
    enrollment_promote(enrollment=last, actor=staff, override_capacity=True)
    assert counters(course) == (5, 0)


def test_grades_are_validated_and_only_for_enrolled_students(student, staff, course):
    enrollment = enrollment_create(student=student, course=course)
    enrollment_set_grade(enrollment=enrollment, grade="A-", actor=staff, reason="final exam")
    assert fetch(enrollment).grade == "A-"
    with pytest.raises(EnrollmentError):
        enrollment_set_grade(enrollment=enrollment, grade="Z", actor=staff, reason="typo")
    assert fetch(enrollment).grade == "A-"


def test_thirty_concurrent_enrollments_never_overbook_five_seats(term):
    course = CourseFactory(term=term, capacity=5)
    students = UserFactory.create_batch(30)
    barrier = threading.Barrier(len(students))
    errors = []

    def enroll(student):
        barrier.wait()
        try:
            enrollment_create(student=student, course=Course.objects.with_term().get(pk=course.pk))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=enroll, args=(s,)) for s in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    statuses = list(Enrollment.objects.filter(course=course).values_list("status", flat=True))
    assert statuses.count("enrolled") == 5
    assert statuses.count("waitlisted") == 25
    assert counters(course) == (5, 25)
    waiting = list(Enrollment.objects.filter(course=course).in_waitlist_order())
    assert [e.waitlisted_at for e in waiting] == sorted(e.waitlisted_at for e in waiting)
