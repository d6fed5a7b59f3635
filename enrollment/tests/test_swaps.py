"""Swaps: X instead of Y, never neither, whatever runs at the same time or dies halfway."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Course
from catalog.tests.factories import CourseFactory, TermFactory
from enrollment import locks, swaps
from enrollment.models import Enrollment, EnrollmentEvent, RegistrationLock, Status, Via
from enrollment.seat_counters import counter_mismatches
from enrollment.services import (
    NotEligible,
    NotEnrolled,
    TryAgain,
    course_fill_from_waitlist,
    enrollment_create,
    enrollment_drop,
    enrollment_promote,
    enrollment_set_grade,
)
from enrollment.swaps import enrollment_swap, swap_repair, swaps_half_done
from enrollment.tests.test_locks import at_once, course_at, fresh


def status_of(student, course) -> str:
    enrollment = Enrollment.objects.filter(student=student, course=course).first()
    return enrollment.status if enrollment else "none"


def held(student) -> set[str]:
    """The codes of the courses student has a seat in."""
    return {e.course.code for e in Enrollment.objects.filter(student=student, status=Status.ENROLLED).with_course()}


def drop(student, course, *, actor=None):
    enrollment = Enrollment.objects.with_course().get(student=student, course=course)
    return enrollment_drop(enrollment=enrollment, actor=actor or student)


def swap(student, x, y, **kwargs):
    return enrollment_swap(student=student, course=fresh(x), replacing=fresh(y), **kwargs)


def notes(student, course) -> list[tuple[str, str, str]]:
    events = EnrollmentEvent.objects.filter(enrollment__student=student, enrollment__course=course)
    return [(e.from_status, e.to_status, e.note) for e in events.order_by("created_at")]


def full(term, hour, *, waiting=0, **fields) -> Course:
    """A one-seat course at hour, its seat taken, with ``waiting`` students on its waitlist."""
    course = course_at(term, hour, capacity=1, **fields)
    for student in UserFactory.create_batch(1 + waiting):
        enrollment_create(student=student, course=fresh(course))
    return course


# --- a free seat in X --------------------------------------------------------------------------


def test_a_swap_into_a_free_seat_takes_x_drops_y_and_the_history_says_so(term, student):
    y, x = course_at(term, 9), course_at(term, 11)
    enrollment_create(student=student, course=fresh(y))

    enrollment = swap(student, x, y, via=Via.API)

    assert (enrollment.status, enrollment.swap_for) == (Status.ENROLLED, None)
    assert held(student) == {x.code}
    assert notes(student, x) == [("", "enrolled", f"swap: in place of {y.code}")]
    assert notes(student, y)[-1] == ("enrolled", "dropped", f"swapped for {x.code}")
    assert EnrollmentEvent.objects.filter(enrollment__course=y, to_status="dropped").get().via == Via.API
    assert (fresh(x).enrolled_count, fresh(y).enrolled_count) == (1, 0)
    assert counter_mismatches() == []


def test_x_is_weighed_with_y_dropped_a_clash_with_y_is_no_reason(term, student):
    y, x = course_at(term, 9), course_at(term, 9)
    enrollment_create(student=student, course=fresh(y))
    with pytest.raises(NotEligible, match="clashes with"):
        enrollment_create(student=student, course=fresh(x))

    assert swap(student, x, y).status == Status.ENROLLED
    assert held(student) == {x.code}


def test_x_is_weighed_with_y_dropped_so_are_the_credits(term, student):
    y = course_at(term, 8, credits=6)
    for hour in (10, 12):
        enrollment_create(student=student, course=fresh(course_at(term, hour, credits=6)))
    enrollment_create(student=student, course=fresh(y))
    x = course_at(term, 14, credits=5)
    with pytest.raises(NotEligible, match="above the limit of 18"):
        enrollment_create(student=student, course=fresh(x))

    assert swap(student, x, y).status == Status.ENROLLED


def test_a_refused_swap_changes_nothing_and_gives_every_reason(term, past_term, student, monkeypatch):
    y, z = course_at(term, 9), course_at(term, 11)
    x = course_at(term, 11, capacity=0)
    x.prerequisites.add(CourseFactory(code="CS100", term=past_term))
    enrollment_create(student=student, course=fresh(y))
    enrollment_create(student=student, course=fresh(z))
    Course.objects.filter(pk=y.pk).update(credits=4)
    before = list(Enrollment.objects.values_list("course", "status"))

    with pytest.raises(NotEligible) as refused:
        swap(student, x, y)

    assert [r.code for r in refused.value.reasons if r.blocking] == ["prerequisite_missing", "schedule_conflict"]
    assert list(Enrollment.objects.values_list("course", "status")) == before
    assert counter_mismatches() == []
    # A refusal takes no lock: the student's next change does not wait.
    monkeypatch.setattr(locks, "WAIT_SECONDS", 0)
    assert enrollment_create(student=student, course=fresh(course_at(term, 14))).status == Status.ENROLLED


@pytest.mark.parametrize("case, code", [
    ("not held", "not_enrolled"),
    ("waitlisted", "not_enrolled"),
    ("same course", "swap_same_course"),
    ("other term", "swap_other_term"),
    ("graded", "swap_graded"),
    ("drop deadline", "drop_deadline_passed"),
])
def test_a_swap_needs_a_seat_in_y_that_may_still_be_dropped(term, student, staff, case, code):
    y, x = course_at(term, 9), course_at(term, 11)
    if case == "waitlisted":
        y = full(term, 9)
    if case == "other term":
        y = course_at(TermFactory(), 9)
    if case != "not held":
        enrollment_create(student=student, course=fresh(y))
    if case == "same course":
        x = y
    if case == "graded":
        enrollment_set_grade(
            enrollment=Enrollment.objects.get(student=student, course=y), grade="A", actor=staff, reason="Recorded late"
        )
    if case == "drop deadline":
        term.drop_deadline = timezone.now() - datetime.timedelta(minutes=1)
        term.save()

    with pytest.raises(Exception) as refused:
        swap(student, x, y)

    assert refused.value.reasons[0].code == code
    assert status_of(student, y) == ("waitlisted" if case == "waitlisted" else "none" if case == "not held"
                                     else "enrolled")


def test_ys_seat_goes_to_ys_waitlist(term, student):
    y = course_at(term, 9, capacity=1)
    enrollment_create(student=student, course=fresh(y))
    waiting = UserFactory()
    enrollment_create(student=waiting, course=fresh(y))
    mail.outbox.clear()

    swap(student, course_at(term, 11), y)

    assert status_of(waiting, y) == Status.ENROLLED
    assert [m.to for m in mail.outbox] == [[waiting.email]]
    assert counter_mismatches() == []


# --- a full X: the waiting swap ----------------------------------------------------------------


def test_a_full_x_puts_the_student_on_its_waitlist_holding_y(term, student):
    y, x = course_at(term, 9), full(term, 9)
    enrollment_create(student=student, course=fresh(y))

    enrollment = swap(student, x, y)

    assert enrollment.status == Status.WAITLISTED and enrollment.swap_for.course == y
    assert held(student) == {y.code}
    assert notes(student, x) == [("", "waitlisted", f"swap: replaces {y.code} once promoted")]
    assert fresh(x).waitlist_count == 1


def test_the_promotion_finishes_the_swap_in_the_same_step(term, student):
    y = course_at(term, 9, capacity=1)
    x = full(term, 9)
    enrollment_create(student=student, course=fresh(y))
    waiting_for_y = UserFactory()
    enrollment_create(student=waiting_for_y, course=fresh(y))
    swap(student, x, y)
    mail.outbox.clear()

    drop(Enrollment.objects.get(course=x, status=Status.ENROLLED).student, x)

    assert held(student) == {x.code}
    assert Enrollment.objects.get(student=student, course=x).swap_for is None
    promoted = ("waitlisted", "enrolled", f"promoted from the waitlist; swap: in place of {y.code}")
    assert notes(student, x)[-1] == promoted
    assert notes(student, y)[-1] == ("enrolled", "dropped", f"swapped for {x.code}")
    assert status_of(waiting_for_y, y) == Status.ENROLLED
    email = next(m for m in mail.outbox if m.to == [student.email])
    assert f"{y.code} {y.title} was dropped in its place" in email.body
    assert counter_mismatches() == []


def test_a_staff_promotion_finishes_the_swap_too(term, student, staff):
    y, x = course_at(term, 9), full(term, 9)
    enrollment_create(student=student, course=fresh(y))
    waiting = swap(student, x, y)

    enrollment_promote(enrollment=Enrollment.objects.with_course().get(pk=waiting.pk), actor=staff,
                       override_capacity=True)

    assert held(student) == {x.code} and status_of(student, y) == Status.DROPPED


def test_a_waiting_swap_weighs_nothing_in_the_term_until_promoted(term, student):
    """A plain waitlist place counts in the clash check; a swap's does not, since
    Y goes when it is promoted. The promotion then weighs X again."""
    plain, plain_waiting = full(term, 11), UserFactory()
    enrollment_create(student=plain_waiting, course=fresh(plain))
    with pytest.raises(NotEligible, match="clashes with"):
        enrollment_create(student=plain_waiting, course=fresh(course_at(term, 11)))

    y, x = course_at(term, 9), full(term, 11)
    enrollment_create(student=student, course=fresh(y))
    swap(student, x, y)
    clashing_with_x = course_at(term, 11)
    assert enrollment_create(student=student, course=fresh(clashing_with_x)).status == Status.ENROLLED

    drop(Enrollment.objects.get(course=x, status=Status.ENROLLED).student, x)
    passed_over = Enrollment.objects.get(student=student, course=x)
    assert passed_over.status == Status.WAITLISTED and clashing_with_x.code in passed_over.waitlist_note
    assert held(student) == {y.code, clashing_with_x.code}


def test_leaving_the_waitlist_ends_the_swap_and_keeps_y(term, student):
    y, x = course_at(term, 9), full(term, 9)
    enrollment_create(student=student, course=fresh(y))
    swap(student, x, y)

    drop(student, x)
    assert Enrollment.objects.get(student=student, course=x).swap_for is None
    # Joining again is a plain waitlist place, which clashes with Y.
    with pytest.raises(NotEligible, match="clashes with"):
        enrollment_create(student=student, course=fresh(x))
    assert held(student) == {y.code}


def test_one_course_is_given_up_for_one_waiting_swap_at_a_time(term, student):
    y = course_at(term, 9)
    enrollment_create(student=student, course=fresh(y))
    first = full(term, 13)
    swap(student, first, y)

    with pytest.raises(NotEligible) as refused:
        swap(student, full(term, 15), y)
    assert refused.value.reasons[0].code == "swap_pending"


def test_a_waiting_swap_whose_y_was_dropped_meanwhile_just_enrolls(term, student, staff):
    y, x = course_at(term, 9), full(term, 9)
    enrollment_create(student=student, course=fresh(y))
    swap(student, x, y)
    drop(student, y, actor=staff)

    Course.objects.filter(pk=x.pk).update(capacity=2)
    course_fill_from_waitlist(course=fresh(x))

    assert held(student) == {x.code}
    assert [n for n in notes(student, y) if n[1] == "dropped"] == [("enrolled", "dropped", "")]
    assert counter_mismatches() == []


# --- a request that dies between the steps ------------------------------------------------------


class Died(BaseException):
    """The request's process ended here (BaseException: nothing catches it on the way up)."""


def swap_that_dies_before_dropping_y(monkeypatch, student, x, y):
    def die(**kwargs):
        raise Died

    with monkeypatch.context() as patched, pytest.raises(Died):
        patched.setattr(swaps, "enrollment_drop", die)
        swap(student, x, y)


def expire_lock(student):
    RegistrationLock.objects.filter(student=student).update(locked_until=timezone.now())


def test_a_swap_that_dies_between_its_steps_leaves_both_held_and_the_lock_taken(term, student, monkeypatch):
    y, x = course_at(term, 9), course_at(term, 9)
    enrollment_create(student=student, course=fresh(y))

    swap_that_dies_before_dropping_y(monkeypatch, student, x, y)

    assert held(student) == {x.code, y.code}
    assert notes(student, x) == [("", "enrolled", f"swap: in place of {y.code}")]
    assert [e.course for e in swaps_half_done()] == [x]
    # The student's next change waits for the lock, which expires: it never
    # runs against a term where X clashes with Y.
    monkeypatch.setattr(locks, "WAIT_SECONDS", 0)
    with pytest.raises(TryAgain):
        enrollment_create(student=student, course=fresh(course_at(term, 14)))


def test_a_half_done_swap_is_finished_by_the_repair(term, student, monkeypatch):
    y, x = course_at(term, 9, capacity=1), course_at(term, 11)
    enrollment_create(student=student, course=fresh(y))
    waiting = UserFactory()
    enrollment_create(student=waiting, course=fresh(y))
    swap_that_dies_before_dropping_y(monkeypatch, student, x, y)
    expire_lock(student)

    [half_done] = swaps_half_done()
    assert swap_repair(enrollment=half_done) is True

    assert held(student) == {x.code} and swaps_half_done() == []
    assert notes(student, y)[-1] == ("enrolled", "dropped", f"swapped for {x.code} (finished by check_db)")
    assert status_of(waiting, y) == Status.ENROLLED
    assert counter_mismatches() == []
    assert swap_repair(enrollment=half_done) is False


def test_the_repair_waits_for_a_swap_that_may_still_be_running(term, student, monkeypatch):
    y, x = course_at(term, 9), course_at(term, 11)
    enrollment_create(student=student, course=fresh(y))
    swap_that_dies_before_dropping_y(monkeypatch, student, x, y)
    monkeypatch.setattr(locks, "WAIT_SECONDS", 0)

    with pytest.raises(TryAgain):
        swap_repair(enrollment=swaps_half_done()[0])
    assert held(student) == {x.code, y.code}


def test_a_promotion_that_dies_before_dropping_y_keeps_the_lock_until_repaired(term, student, monkeypatch):
    y, x = course_at(term, 9), full(term, 9)
    enrollment_create(student=student, course=fresh(y))
    swap(student, x, y)
    holder = Enrollment.objects.get(course=x, status=Status.ENROLLED).student

    def die(**kwargs):
        raise Died

    with monkeypatch.context() as patched, pytest.raises(Died):
        patched.setattr(swaps, "enrollment_drop", die)
        drop(holder, x)

    assert held(student) == {x.code, y.code} and [e.course for e in swaps_half_done()] == [x]
    monkeypatch.setattr(locks, "WAIT_SECONDS", 0)
    with pytest.raises(TryAgain):
        enrollment_create(student=student, course=fresh(course_at(term, 14)))
    expire_lock(student)
    assert swap_repair(enrollment=swaps_half_done()[0]) is True
    assert held(student) == {x.code}


def test_check_db_reports_a_half_done_swap_and_fix_swaps_finishes_it(term, student, monkeypatch):
    y = course_at(term, 9, code="CS101")
    x = course_at(term, 9, code="CS102")
    enrollment_create(student=student, course=fresh(y))
    swap_that_dies_before_dropping_y(monkeypatch, student, x, y)
    problem = f"half-done swap of student {student.student_number}: CS102 taken, CS101 still held"

    err = StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("check_db", stdout=StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [f"problem: {problem}"]

    # Within LOCK_SECONDS of the crash the swap may still be running: left alone.
    monkeypatch.setattr(locks, "WAIT_SECONDS", 0)
    err = StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("check_db", "--fix-swaps", stdout=StringIO(), stderr=err)
    assert err.getvalue().startswith(f"busy: {problem}: the student's registration is locked")
    assert held(student) == {"CS101", "CS102"}

    expire_lock(student)
    out = StringIO()
    call_command("check_db", "--fix-swaps", stdout=out, stderr=StringIO())
    assert f"fixed: {problem}" in out.getvalue() and "No swap is half-done." in out.getvalue()
    assert held(student) == {"CS102"}
    assert notes(student, y)[-1] == ("enrolled", "dropped", "swapped for CS102 (finished by check_db)")
    assert EnrollmentEvent.objects.get(enrollment__course=y, to_status="dropped").via == Via.COMMAND


# --- races ---------------------------------------------------------------------------------------


def test_a_registrar_drop_of_y_between_the_swaps_steps_leaves_x_held(term, student, registrar, monkeypatch):
    """The race below, with the drop placed exactly between reading Y and dropping it."""
    y, x = course_at(term, 9, capacity=1), course_at(term, 9)
    enrollment_create(student=student, course=fresh(y))
    waiting = UserFactory()
    enrollment_create(student=waiting, course=fresh(y))
    take_seat = swaps._take_seat_or_join_waitlist

    def registrar_drops_y_first(course, **kwargs):
        drop(student, y, actor=registrar)
        return take_seat(course, **kwargs)

    monkeypatch.setattr(swaps, "_take_seat_or_join_waitlist", registrar_drops_y_first)
    assert swap(student, x, y).status == Status.ENROLLED

    assert held(student) == {x.code} and swaps_half_done() == []
    assert [n for n in notes(student, y) if n[1] == "dropped"] == [("enrolled", "dropped", "")]
    assert status_of(waiting, y) == Status.ENROLLED
    assert counter_mismatches() == []



def test_a_swap_racing_a_registrar_drop_of_y(term, registrar, patient):
    """Whichever comes first, Y is dropped once, its seat handed on once, and
    the student holds X unless the drop came before the swap read the term."""
    for _ in range(4):
        student, waiting = UserFactory.create_batch(2)
        y, x = course_at(term, 9, capacity=1), course_at(term, 9)
        enrollment_create(student=student, course=fresh(y))
        enrollment_create(student=waiting, course=fresh(y))

        swapped, dropped = at_once([lambda: swap(student, x, y), lambda: drop(student, y, actor=registrar)])

        assert status_of(student, y) == Status.DROPPED
        assert len([n for n in notes(student, y) if n[1] == "dropped"]) == 1
        assert status_of(waiting, y) == Status.ENROLLED
        if isinstance(swapped, Exception):
            assert isinstance(swapped, NotEnrolled) and not isinstance(dropped, Exception)
            assert held(student) == set()
        else:
            assert held(student) == {x.code} and swapped.swap_for is None
        assert swaps_half_done() == [] and counter_mismatches() == []


def test_two_swaps_of_one_student_at_once_make_one(term, patient):
    for _ in range(4):
        student = UserFactory()
        y, x1, x2 = course_at(term, 9), course_at(term, 9), course_at(term, 9)
        enrollment_create(student=student, course=fresh(y))

        results = at_once([lambda: swap(student, x1, y), lambda: swap(student, x2, y)])

        refused = [r for r in results if isinstance(r, Exception)]
        # Refused once Y is dropped, or while the other swap is between its steps.
        assert len(refused) == 1 and refused[0].reasons[0].code in {"not_enrolled", "swap_pending"}, results
        assert len(held(student)) == 1 and held(student) < {x1.code, x2.code}
        assert swaps_half_done() == [] and counter_mismatches() == []


def test_a_swap_racing_the_students_own_enroll_never_double_books(term, patient):
    for _ in range(4):
        student = UserFactory()
        y, x, clashing_with_x = course_at(term, 9), course_at(term, 11), course_at(term, 11)
        enrollment_create(student=student, course=fresh(y))

        at_once([
            lambda: swap(student, x, y),
            lambda: enrollment_create(student=student, course=fresh(clashing_with_x)),
        ])

        assert len(held(student) & {x.code, clashing_with_x.code}) == 1
        assert len(held(student)) in (1, 2)


def test_a_promotion_finishing_a_waiting_swap_while_y_is_dropped(term, registrar, patient, monkeypatch):
    for _ in range(4):
        student, waiting_for_y = UserFactory.create_batch(2)
        y, x = course_at(term, 9, capacity=1), full(term, 9)
        enrollment_create(student=student, course=fresh(y))
        enrollment_create(student=waiting_for_y, course=fresh(y))
        swap(student, x, y)
        holder = Enrollment.objects.get(course=x, status=Status.ENROLLED).student

        at_once([lambda: drop(holder, x), lambda: drop(student, y, actor=registrar)])

        assert held(student) == {x.code}
        assert len([n for n in notes(student, y) if n[1] == "dropped"]) == 1
        assert status_of(waiting_for_y, y) == Status.ENROLLED
        assert swaps_half_done() == [] and counter_mismatches() == []
        # The swap's lock went with its last write: the student's next change does not wait.
        with monkeypatch.context() as impatient:
            impatient.setattr(locks, "WAIT_SECONDS", 0)
            assert enrollment_create(student=student, course=fresh(course_at(term, 15))).status == Status.ENROLLED
