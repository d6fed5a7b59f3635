"""Holds: what they stop (new enrollments, waitlist places, promotions) and what they never stop (drops,
withdrawals), one active hold per kind, and a hold placed while the student enrolls."""

import datetime
import threading
import time

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Course, Term
from enrollment import services, swaps
from enrollment.holds import HoldAlreadyLifted, hold_lift, hold_place
from enrollment.models import Enrollment, EnrollmentEvent, Hold, Status, Via
from enrollment.seat_counters import counter_mismatches
from enrollment.selectors import active_holds_if_any
from enrollment.services import (
    NotEligible,
    course_fill_from_waitlist,
    enrollment_create,
    enrollment_drop,
    enrollment_promote,
    enrollment_withdraw,
)
from enrollment.tests.factories import HoldKindFactory
from enrollment.tests.test_locks import at_once, course_at, fresh


@pytest.fixture
def bursar(db):
    return HoldKindFactory(code="bursar", name="Bursar", office="the Bursar's Office (bursar@example.edu)")


def place(student, kind, reason="Tuition is unpaid.", **kwargs) -> Hold:
    return hold_place(student=student, kind=kind, reason=reason, **kwargs)[0]


def status_of(student, course) -> str:
    return Enrollment.objects.get(student=student, course=course).status


def counters(course) -> tuple[int, int]:
    course.refresh_from_db()
    return course.enrolled_count, course.waitlist_count


# --- placing and lifting ------------------------------------------------------------------------------


def test_placing_records_who_when_and_how_and_lifting_who_and_when(student, staff, bursar):
    hold = place(student, bursar, actor=staff, via=Via.API)
    assert (hold.placed_by, hold.placed_via, hold.is_active) == (staff, "api", True)
    assert timezone.now() - hold.placed_at < datetime.timedelta(minutes=1)

    hold_lift(hold=hold, actor=staff)

    hold.refresh_from_db()
    assert (hold.lifted_by, hold.is_active) == (staff, False)
    with pytest.raises(HoldAlreadyLifted):
        hold_lift(hold=hold, actor=staff)


def test_a_student_has_one_active_hold_per_kind_and_placing_again_updates_its_reason(student, bursar):
    first, created = hold_place(student=student, kind=bursar, reason="Tuition is unpaid.")
    again, created_again = hold_place(student=student, kind=bursar, reason="Tuition and fees are unpaid.")

    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Hold.objects.get().reason == "Tuition and fees are unpaid."
    hold_lift(hold=first, actor=None)
    assert hold_place(student=student, kind=bursar, reason="Unpaid again.")[1] is True
    assert Hold.objects.count() == 2 and Hold.objects.active().count() == 1


def test_the_database_refuses_a_second_active_hold_of_a_kind(student, bursar):
    """The unique index, not Python, keeps it to one: nulls count as equal, as in MongoDB's own unique indexes."""
    hold = place(student, bursar)
    duplicate = {
        "student": student, "kind": bursar, "reason": "x", "placed_at": timezone.now(), "placed_via": Via.ADMIN,
    }
    with pytest.raises(IntegrityError):
        Hold.objects.create(**duplicate)
    hold_lift(hold=hold, actor=None)
    Hold.objects.create(**duplicate)


def test_parallel_placements_of_one_kind_leave_one_hold(student, bursar):
    results = at_once([lambda n=n: hold_place(student=student, kind=bursar, reason=f"reason {n}") for n in range(6)])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(created for _hold, created in results) == 1
    assert Hold.objects.count() == 1 and len({hold.pk for hold, _created in results}) == 1


def test_parallel_lifts_lift_once(student, staff, bursar):
    place(student, bursar)
    results = at_once([lambda: hold_lift(hold=Hold.objects.select_related("kind", "student").get(), actor=staff)] * 4)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, HoldAlreadyLifted) for r in results if isinstance(r, Exception))


# --- what a hold stops, and what it does not -----------------------------------------------------------


def test_a_hold_refuses_enrolling_and_joining_a_waitlist_with_the_office_to_contact(term, student, bursar):
    place(student, bursar, reason="Tuition is unpaid")
    for capacity in (5, 0):
        course = fresh(course_at(term, 9, capacity=capacity))
        with pytest.raises(NotEligible) as refused:
            enrollment_create(student=student, course=course)
        (reason,) = refused.value.reasons
        assert reason.code == "hold"
        assert reason.message == (
            "Bursar hold: Tuition is unpaid. Contact the Bursar's Office (bursar@example.edu) to have it lifted."
        )
        assert counters(course) == (0, 0)
    assert not Enrollment.objects.exists()


def test_every_reason_is_given_at_once_with_the_hold(term, student, bursar):
    taken = course_at(term, 9)
    enrollment_create(student=student, course=fresh(taken))
    place(student, bursar)
    with pytest.raises(NotEligible) as refused:
        enrollment_create(student=student, course=fresh(course_at(term, 9)))
    assert [r.code for r in refused.value.reasons] == ["hold", "schedule_conflict"]


def test_the_writes_ask_only_whether_a_hold_exists_and_read_a_held_students_holds_oldest_first(
    student, staff, bursar, django_assert_num_queries,
):
    with django_assert_num_queries(1):
        assert active_holds_if_any(student=student) == []
    library = HoldKindFactory(code="library", name="Library", office="the Library")
    first, second = place(student, bursar), place(student, library)
    hold_lift(hold=first, actor=staff)
    third = place(student, bursar, reason="Fees are unpaid.")
    with django_assert_num_queries(2):
        holds = active_holds_if_any(student=student)
    assert holds == [second, third] and [h.kind.name for h in holds] == ["Library", "Bursar"]


def test_a_held_student_may_still_drop_leave_a_waitlist_and_withdraw(term, student, bursar):
    enrolled = enrollment_create(student=student, course=fresh(course_at(term, 9)))
    full = course_at(term, 10, capacity=0)
    waiting = enrollment_create(student=student, course=fresh(full))
    late = enrollment_create(student=student, course=fresh(course_at(term, 11)))
    place(student, bursar)

    enrollment_drop(enrollment=Enrollment.objects.with_course().get(pk=enrolled.pk), actor=student)
    enrollment_drop(enrollment=Enrollment.objects.with_course().get(pk=waiting.pk), actor=student)
    Term.objects.filter(pk=term.pk).update(drop_deadline=timezone.now() - datetime.timedelta(days=1))
    enrollment_withdraw(enrollment=Enrollment.objects.with_course().get(pk=late.pk), actor=student)

    assert sorted(Enrollment.objects.values_list("status", flat=True)) == ["dropped", "dropped", "withdrawn"]
    assert counters(full) == (0, 0)


def test_a_lifted_hold_stops_nothing(term, student, bursar):
    hold_lift(hold=place(student, bursar), actor=None)
    assert enrollment_create(student=student, course=fresh(course_at(term, 9))).status == Status.ENROLLED


def test_a_held_student_at_the_head_of_the_waitlist_is_passed_over_and_keeps_their_place(term, bursar):
    course = course_at(term, 9, capacity=1)
    holder, held, next_one = UserFactory.create_batch(3)
    for student in (holder, held, next_one):
        enrollment_create(student=student, course=fresh(course))
    place(held, bursar)
    mail.outbox.clear()

    enrollment_drop(enrollment=Enrollment.objects.with_course().get(student=holder), actor=holder)

    assert (status_of(held, course), status_of(next_one, course)) == ("waitlisted", "enrolled")
    note = Enrollment.objects.get(student=held).waitlist_note
    assert note.startswith("Passed over for a free seat: Bursar hold:")
    assert [m.to for m in mail.outbox if "went to the next student" in m.subject] == [[held.email]]
    assert counters(course) == (1, 1)


def test_staff_cannot_promote_a_held_student(term, staff, bursar):
    course = course_at(term, 9, capacity=0)
    student = UserFactory()
    waiting = enrollment_create(student=student, course=fresh(course))
    place(student, bursar)
    with pytest.raises(NotEligible, match="Bursar hold"):
        enrollment_promote(enrollment=Enrollment.objects.with_course().get(pk=waiting.pk), actor=staff,
                           override_capacity=True)
    assert status_of(student, course) == Status.WAITLISTED and counters(course) == (0, 1)


# --- a hold placed while the student enrolls ------------------------------------------------------------


def test_a_hold_placed_after_the_check_takes_the_new_seat_back(term, student, bursar, monkeypatch):
    """The hold is written between the enrollment's check and its seat: the
    enrollment reads the holds again once written, and takes itself back."""
    course = fresh(course_at(term, 9, capacity=1))
    take_seat = services._take_seat_or_join_waitlist

    def hold_placed_meanwhile(course, **kwargs):
        place(student, bursar, reason="Placed meanwhile")
        return take_seat(course, **kwargs)

    monkeypatch.setattr(services, "_take_seat_or_join_waitlist", hold_placed_meanwhile)
    with pytest.raises(NotEligible) as refused:
        enrollment_create(student=student, course=course)

    assert [r.code for r in refused.value.reasons] == ["hold"]
    enrollment = Enrollment.objects.get(student=student)
    assert enrollment.status == Status.DROPPED and counters(course) == (0, 0)
    events = EnrollmentEvent.objects.filter(enrollment=enrollment)
    history = list(events.values_list("from_status", "to_status", "note"))
    assert history == [("", "enrolled", ""), ("enrolled", "dropped", "taken back: a hold was placed meanwhile")]


def test_a_hold_placed_while_a_swap_is_written_takes_the_new_course_back_and_keeps_the_old(term, student, bursar,
                                                                                            monkeypatch):
    old, new = course_at(term, 10, capacity=1), course_at(term, 9, capacity=1)
    enrollment_create(student=student, course=fresh(old))
    write = swaps._write_enrollment

    def hold_placed_meanwhile(*args, **kwargs):
        enrollment = write(*args, **kwargs)
        place(student, bursar, reason="Placed meanwhile")
        return enrollment

    monkeypatch.setattr(swaps, "_write_enrollment", hold_placed_meanwhile)
    with pytest.raises(NotEligible) as refused:
        swaps.enrollment_swap(student=student, course=fresh(new), replacing=fresh(old))

    assert [r.code for r in refused.value.reasons] == ["hold"]
    assert (status_of(student, new), status_of(student, old)) == (Status.DROPPED, Status.ENROLLED)
    assert (counters(new), counters(old)) == ((0, 0), (1, 0))
    assert counter_mismatches() == []


def test_a_seat_taken_back_goes_to_whoever_joined_the_waitlist_meanwhile(term, bursar, monkeypatch):
    course = fresh(course_at(term, 9, capacity=1))
    student, newcomer = UserFactory.create_batch(2)
    write = services._write_enrollment

    def newcomer_and_hold_meanwhile(who, *args):
        enrollment = write(who, *args)
        if who == student:
            # The last seat is taken: the newcomer queues behind it, then the hold arrives.
            assert enrollment_create(student=newcomer, course=fresh(course)).status == Status.WAITLISTED
            place(student, bursar)
        return enrollment

    monkeypatch.setattr(services, "_write_enrollment", newcomer_and_hold_meanwhile)
    with pytest.raises(NotEligible):
        enrollment_create(student=student, course=course)

    assert (status_of(student, course), status_of(newcomer, course)) == ("dropped", "enrolled")
    assert counters(course) == (1, 0) and counter_mismatches() == []


def test_a_waitlist_place_written_after_a_hold_is_taken_back(term, student, bursar, monkeypatch):
    course = fresh(course_at(term, 9, capacity=0))
    take_seat = services._take_seat_or_join_waitlist

    def hold_placed_meanwhile(course, **kwargs):
        place(student, bursar)
        return take_seat(course, **kwargs)

    monkeypatch.setattr(services, "_take_seat_or_join_waitlist", hold_placed_meanwhile)
    with pytest.raises(NotEligible):
        enrollment_create(student=student, course=course)
    assert status_of(student, course) == Status.DROPPED and counters(course) == (0, 0)


def test_a_promotion_written_after_a_hold_goes_back_to_its_place_in_line(term, bursar, monkeypatch):
    course = course_at(term, 9, capacity=1)
    holder, held, next_one = UserFactory.create_batch(3)
    for student in (holder, held, next_one):
        enrollment_create(student=student, course=fresh(course))
    place_in_line = Enrollment.objects.get(student=held).waitlisted_at
    move = services._move_to_enrolled

    def hold_placed_meanwhile(enrollment, now, token):
        if enrollment.student_id == held.pk:
            place(held, bursar)
        return move(enrollment, now, token)

    monkeypatch.setattr(services, "_move_to_enrolled", hold_placed_meanwhile)
    mail.outbox.clear()
    enrollment_drop(enrollment=Enrollment.objects.with_course().get(student=holder), actor=holder)

    back = Enrollment.objects.get(student=held)
    assert (back.status, back.waitlisted_at) == (Status.WAITLISTED, place_in_line)
    assert "Bursar hold" in back.waitlist_note
    assert status_of(next_one, course) == Status.ENROLLED and counters(course) == (1, 1)
    assert not [m for m in mail.outbox if m.to == [held.email] and "You are enrolled" in m.subject]


def test_once_a_hold_is_placed_no_enrollment_written_after_it_stands(term, bursar, patient, monkeypatch):
    """Six parallel enrolls of one student race a hold, three times. Each
    reads the holds (none yet), then they queue for the student's lock; the
    hold is placed meanwhile, so most are written after it. Each of those is
    refused with the hold, and every enrollment that stands began its write
    before the hold was placed."""
    write_began, checked = {}, threading.Semaphore(0)
    write, read_holds = services._write_enrollment, services.active_holds_if_any

    def timed(*args):
        began = time.monotonic()
        enrollment = write(*args)
        write_began[enrollment.pk] = began
        return enrollment

    def counted(**kwargs):
        holds = read_holds(**kwargs)
        checked.release()
        return holds

    monkeypatch.setattr(services, "_write_enrollment", timed)
    monkeypatch.setattr(services, "active_holds_if_any", counted)
    for _ in range(3):
        student = UserFactory()
        courses = [fresh(course_at(term, 8 + hour)) for hour in range(6)]  # 18 credits at distinct hours
        placed = {}

        def place_hold(student=student, courses=courses, placed=placed):
            for _enroll in courses:  # every enroll has read the holds once
                checked.acquire()
            place(student, bursar)
            placed["at"] = time.monotonic()

        results = at_once([
            *(lambda c=course, s=student: enrollment_create(student=s, course=c) for course in courses),
            place_hold,
        ])
        while checked.acquire(blocking=False):  # the reads after each write
            pass

        refused = [r for r in results[:-1] if isinstance(r, Exception)]
        assert all(isinstance(r, NotEligible) and [x.code for x in r.reasons] == ["hold"] for r in refused), refused
        standing = list(Enrollment.objects.filter(student=student).active())
        assert len(standing) + len(refused) == 6
        assert [e.course_id for e in standing if write_began[e.pk] > placed["at"]] == []
        assert counter_mismatches() == []


def test_a_hold_stops_a_seat_that_comes_up_for_the_whole_waitlist(term, bursar):
    course = course_at(term, 9, capacity=0)
    held = UserFactory()
    enrollment_create(student=held, course=fresh(course))
    place(held, bursar)
    Course.objects.filter(pk=course.pk).update(capacity=1)

    assert course_fill_from_waitlist(course=fresh(course)) == []
    assert status_of(held, course) == Status.WAITLISTED and counters(course) == (0, 1)


def test_a_staff_promotion_written_after_a_hold_is_refused_and_gives_the_seat_back(term, staff, bursar, monkeypatch):
    course = course_at(term, 9, capacity=0)
    student = UserFactory()
    waiting = enrollment_create(student=student, course=fresh(course))
    move = services._move_to_enrolled

    def hold_placed_meanwhile(enrollment, now, token):
        place(student, bursar)
        return move(enrollment, now, token)

    monkeypatch.setattr(services, "_move_to_enrolled", hold_placed_meanwhile)
    with pytest.raises(NotEligible, match="Bursar hold"):
        enrollment_promote(enrollment=Enrollment.objects.with_course().get(pk=waiting.pk), actor=staff,
                           override_capacity=True)
    assert status_of(student, course) == Status.WAITLISTED and counters(course) == (0, 1)
    assert counter_mismatches() == []
