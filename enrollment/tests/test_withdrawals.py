"""Withdrawing after the drop deadline: grade W, no credits, not in the GPA, on the transcript, the seat to the
waitlist at once; the pages, the API and the admin as students and the registrar use them."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Course, Term
from catalog.tests.factories import CourseFactory, TermFactory
from enrollment.models import Enrollment, EnrollmentEvent, Status
from enrollment.seat_counters import counter_mismatches
from enrollment.selectors import student_transcript
from enrollment.services import (
    AlreadyEnrolled,
    DropDeadlinePassed,
    EnrollmentError,
    NotEnrolled,
    WithdrawalNotOpen,
    WithdrawDeadlinePassed,
    enrollment_create,
    enrollment_drop,
    enrollment_set_grade,
    enrollment_withdraw,
)
from enrollment.tests.factories import EnrollmentFactory
from enrollment.tests.test_admin import act, messages_of
from enrollment.tests.test_locks import at_once, course_at, fresh
from school.api.testing import error_of, token_client

DAY = datetime.timedelta(days=1)


def in_withdrawal_period(term) -> Term:
    """Move term's drop deadline a day back: its withdrawal period is on."""
    now = timezone.now()
    Term.objects.filter(pk=term.pk).update(drop_deadline=now - DAY, withdraw_deadline=now + 10 * DAY)
    return Term.objects.get(pk=term.pk)


def past_withdrawal(term) -> Term:
    now = timezone.now()
    Term.objects.filter(pk=term.pk).update(drop_deadline=now - 10 * DAY, withdraw_deadline=now - DAY)
    return Term.objects.get(pk=term.pk)


def fetch(enrollment) -> Enrollment:
    return Enrollment.objects.with_course().get(pk=enrollment.pk)


def counters(course) -> tuple[int, int]:
    course.refresh_from_db()
    return course.enrolled_count, course.waitlist_count


@pytest.fixture
def seat_and_queue(term):
    """A one-seat course: its holder, and a student waiting for the seat."""
    course = course_at(term, 9, capacity=1)
    holder, waiting = UserFactory.create_batch(2)
    held = enrollment_create(student=holder, course=fresh(course))
    enrollment_create(student=waiting, course=fresh(course))
    in_withdrawal_period(term)
    mail.outbox.clear()
    return course, holder, held, waiting


# --- the service ---------------------------------------------------------------------------------------


def test_withdrawing_gives_a_w_records_it_and_the_seat_goes_to_the_waitlist_at_once(seat_and_queue):
    course, holder, held, waiting = seat_and_queue

    withdrawn = enrollment_withdraw(enrollment=fetch(held), actor=holder)

    assert (withdrawn.status, withdrawn.grade) == ("withdrawn", "W")
    assert fetch(held).status == Status.WITHDRAWN and fetch(held).grade == "W"
    assert Enrollment.objects.get(student=waiting).status == Status.ENROLLED
    assert counters(course) == (1, 0) and counter_mismatches() == []
    event = EnrollmentEvent.objects.get(enrollment=held, to_status="withdrawn")
    assert (event.from_status, event.actor, event.via, event.note) == ("enrolled", holder, "page", "")
    assert [m.to for m in mail.outbox] == [[waiting.email]]


def test_a_withdrawal_stays_on_the_transcript_without_credits_or_grade_points(term, past_term, student):
    passed = CourseFactory(term=past_term, code="HIST100", credits=4)
    EnrollmentFactory(student=student, course=passed, grade="B")
    kept = enrollment_create(student=student, course=fresh(course_at(term, 9, credits=3)))
    left = enrollment_create(student=student, course=fresh(course_at(term, 10, credits=4)))
    in_withdrawal_period(term)

    enrollment_withdraw(enrollment=fetch(left), actor=student)

    transcript = student_transcript(student=student)
    current = transcript.terms[0]
    assert sorted((e.course.code, e.status, e.grade) for e in current.enrollments) == sorted([
        (kept.course.code, "enrolled", ""), (left.course.code, "withdrawn", "W"),
    ])
    assert current.enrolled_credits == 3 and current.gpa is None
    assert transcript.gpa == Decimal("3.00")


def test_before_the_drop_deadline_a_student_drops_instead(term, student):
    enrollment = enrollment_create(student=student, course=fresh(course_at(term, 9)))
    with pytest.raises(WithdrawalNotOpen, match="drop .* instead"):
        enrollment_withdraw(enrollment=fetch(enrollment), actor=student)
    assert fetch(enrollment).status == Status.ENROLLED


def test_after_the_withdrawal_deadline_the_student_is_told_whom_to_ask(term, student, settings):
    settings.REGISTRAR_OFFICE = "the Registrar's Office (Main Hall 110)"
    enrollment = enrollment_create(student=student, course=fresh(course_at(term, 9)))
    past_withdrawal(term)
    with pytest.raises(WithdrawDeadlinePassed) as refused:
        enrollment_withdraw(enrollment=fetch(enrollment), actor=student)
    assert refused.value.message.endswith("ask the Registrar's Office (Main Hall 110).")
    with pytest.raises(DropDeadlinePassed):
        enrollment_drop(enrollment=fetch(enrollment), actor=student)
    assert fetch(enrollment).status == Status.ENROLLED


def test_staff_withdraw_at_any_time_when_they_say_so_and_it_is_recorded(term, student, staff):
    early = enrollment_create(student=student, course=fresh(course_at(term, 9)))
    late = enrollment_create(student=student, course=fresh(course_at(term, 10)))

    enrollment_withdraw(enrollment=fetch(early), actor=staff, via="admin", override_deadline=True)
    past_withdrawal(term)
    enrollment_withdraw(enrollment=fetch(late), actor=staff, via="admin", override_deadline=True)

    events = EnrollmentEvent.objects.filter(to_status="withdrawn").values_list("actor", "via", "note")
    assert list(events) == [(staff.pk, "admin", "outside the withdrawal period")] * 2


def test_only_the_student_or_staff_withdraw_and_only_an_ungraded_enrollment(seat_and_queue, staff):
    course, holder, held, waiting = seat_and_queue
    with pytest.raises(PermissionDenied):
        enrollment_withdraw(enrollment=fetch(held), actor=waiting)
    with pytest.raises(NotEnrolled):
        enrollment_withdraw(enrollment=Enrollment.objects.with_course().get(student=waiting), actor=waiting)
    enrollment_set_grade(enrollment=fetch(held), grade="A", actor=staff, reason="Final exam.")
    with pytest.raises(EnrollmentError, match="already has its grade"):
        enrollment_withdraw(enrollment=fetch(held), actor=holder)
    assert fetch(held).status == Status.ENROLLED and counters(course) == (1, 1)


def test_a_w_is_never_given_without_the_withdrawal(student, staff, course):
    enrollment = enrollment_create(student=student, course=course)
    with pytest.raises(EnrollmentError, match="withdraw the enrollment instead"):
        enrollment_set_grade(enrollment=enrollment, grade="W", actor=staff, reason="Left the course.")
    in_withdrawal_period(course.term)
    enrollment_withdraw(enrollment=fetch(enrollment), actor=student)
    with pytest.raises(NotEnrolled):
        enrollment_set_grade(enrollment=fetch(enrollment), grade="", actor=staff, reason="Cleared.")
    assert fetch(enrollment).grade == "W"


def test_a_withdrawn_student_cannot_enroll_in_the_course_again(term, student, settings):
    enrollment = enrollment_create(student=student, course=fresh(course_at(term, 9)))
    in_withdrawal_period(term)
    enrollment_withdraw(enrollment=fetch(enrollment), actor=student)
    with pytest.raises(AlreadyEnrolled) as refused:
        enrollment_create(student=student, course=fresh(enrollment.course))
    assert refused.value.reasons[0].code == "already_withdrawn"


def test_a_withdrawal_racing_a_drop_of_the_same_enrollment_gives_the_seat_up_once(seat_and_queue, staff):
    course, holder, held, waiting = seat_and_queue
    first, second, third = (fetch(held) for _ in range(3))  # each request read it before any wrote
    results = at_once([
        lambda: enrollment_withdraw(enrollment=first, actor=holder),
        lambda: enrollment_drop(enrollment=second, actor=staff, override_deadline=True),
        lambda: enrollment_withdraw(enrollment=third, actor=staff, override_deadline=True),
    ])
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, NotEnrolled) for r in results if isinstance(r, Exception))
    assert fetch(held).status in ("withdrawn", "dropped")
    assert Enrollment.objects.get(student=waiting).status == Status.ENROLLED
    assert counters(course) == (1, 0) and counter_mismatches() == []


def test_promotions_racing_withdrawals_give_each_freed_seat_once_in_waitlist_order(term):
    """Three of four seat holders withdraw at once while two of six waiting
    students leave the line: the three seats go to the first three still
    waiting, one each, and the counters agree with the enrollments."""
    course = course_at(term, 9, capacity=4)
    holders, waiting = UserFactory.create_batch(4), UserFactory.create_batch(6)
    seats = [enrollment_create(student=s, course=fresh(course)) for s in holders]
    places = [enrollment_create(student=s, course=fresh(course)) for s in waiting]
    in_withdrawal_period(term)

    results = at_once([
        *(lambda e=seat, s=student: enrollment_withdraw(enrollment=fetch(e), actor=s)
          for seat, student in zip(seats[:3], holders[:3], strict=True)),
        *(lambda e=places[n], s=waiting[n]: enrollment_drop(enrollment=fetch(e), actor=s) for n in (0, 2)),
    ])

    # A student promoted in the instant before their own drop keeps the seat (their drop is told so).
    assert all(isinstance(r, NotEnrolled) for r in results[3:] if isinstance(r, Exception)), results
    assert not [r for r in results[:3] if isinstance(r, Exception)], results
    statuses = [Enrollment.objects.get(student=s, course=course).status for s in waiting]
    promoted = [n for n, status in enumerate(statuses) if status == "enrolled"]
    still_waiting = [n for n, status in enumerate(statuses) if status == "waitlisted"]
    assert len(promoted) == 3 and max(promoted) < min(still_waiting, default=6)  # nobody jumped the line
    assert counters(course) == (4, len(still_waiting)) and counter_mismatches() == []
    promotions = EnrollmentEvent.objects.filter(enrollment__course=course, from_status="waitlisted",
                                                to_status="enrolled")
    assert promotions.count() == 3


def test_a_promotion_racing_the_students_own_withdrawal_never_double_books(term):
    """The student waits for a 9 o'clock course while enrolled in one moved to
    9 o'clock since; they withdraw from it as the seat holder withdraws. The
    promotion checks their term under their lock: they get the seat only if
    their withdrawal came first, else they are passed over and keep their
    place. Never two courses at once at 9."""
    for _ in range(4):
        wanted, other = course_at(term, 9, capacity=1), course_at(term, 11)
        holder, student = UserFactory.create_batch(2)
        held = enrollment_create(student=holder, course=fresh(wanted))
        mine = enrollment_create(student=student, course=fresh(other))
        enrollment_create(student=student, course=fresh(wanted))
        Course.objects.filter(pk=other.pk).update(starts_at=datetime.time(9), ends_at=datetime.time(9, 50))
        in_withdrawal_period(term)

        results = at_once([
            lambda h=held, u=holder: enrollment_withdraw(enrollment=fetch(h), actor=u),
            lambda m=mine, u=student: enrollment_withdraw(enrollment=fetch(m), actor=u),
        ])

        assert not [r for r in results if isinstance(r, Exception)], results
        outcome = Enrollment.objects.get(student=student, course=wanted).status
        assert outcome in ("enrolled", "waitlisted") and fetch(mine).status == Status.WITHDRAWN
        if outcome == "waitlisted":
            assert "clashes with" in Enrollment.objects.get(student=student, course=wanted).waitlist_note
            assert counters(wanted) == (0, 1)
        else:
            assert counters(wanted) == (1, 0)
        assert counter_mismatches() == []


# --- pages -----------------------------------------------------------------------------------------------


def test_the_course_page_offers_drop_then_withdraw_then_says_whom_to_ask(client, term, student, settings):
    settings.REGISTRAR_OFFICE = "the Registrar's Office"
    course = course_at(term, 9)
    enrollment_create(student=student, course=fresh(course))
    client.force_login(student)

    html = client.get(course.get_absolute_url()).content.decode()
    assert f"Drop {course.code}" in html and "Withdraw" not in html
    in_withdrawal_period(term)
    html = client.get(course.get_absolute_url()).content.decode()
    assert f"Withdraw from {course.code}" in html and f"Drop {course.code}" not in html
    assert "stays on your transcript with a W" in html
    past_withdrawal(term)
    html = client.get(course.get_absolute_url()).content.decode()
    assert "Withdraw from" not in html and f"Drop {course.code}" not in html
    assert f"to leave {course.code}, ask the Registrar&#x27;s Office." in html


def test_withdrawing_from_the_course_page_and_my_enrollments(client, term, student):
    first, second = course_at(term, 9), course_at(term, 10)
    for course in (first, second):
        enrollment_create(student=student, course=fresh(course))
    in_withdrawal_period(term)
    client.force_login(student)

    response = client.post(reverse("enrollment:course_withdraw", args=[first.code]), follow=True)
    assert f"You have withdrawn from {first.code}" in response.content.decode()
    html = response.content.decode()
    assert "badge withdrawn" in html and f"Withdraw from {first.code}" not in html

    page = client.get(reverse("enrollment:my_enrollments")).content.decode()
    assert f'aria-label="Withdraw from {second.code} (grade W)"' in page
    response = client.post(reverse("enrollment:course_withdraw", args=[second.code]),
                           {"next": "/enrollments/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/enrollments/"
    assert [e.grade for e in response.context["transcript"].terms[0].enrollments] == ["W", "W"]
    assert response.context["transcript"].terms[0].enrolled_credits == 0


def test_my_enrollments_says_whom_to_ask_after_the_withdrawal_deadline(client, term, student):
    enrollment_create(student=student, course=fresh(course_at(term, 9)))
    past_withdrawal(term)
    client.force_login(student)
    page = client.get(reverse("enrollment:my_enrollments")).content.decode()
    assert "To leave, ask the Registrar" in page and "Withdraw" not in page


def test_withdrawing_from_the_page_before_the_drop_deadline_is_refused(client, term, student):
    course = course_at(term, 9)
    enrollment_create(student=student, course=fresh(course))
    client.force_login(student)
    response = client.post(reverse("enrollment:course_withdraw", args=[course.code]), follow=True)
    assert f"drop {course.code} instead" in response.content.decode()
    assert Enrollment.objects.get(student=student).status == Status.ENROLLED


def test_another_students_enrollment_cannot_be_withdrawn_from_the_pages(client, seat_and_queue):
    course, holder, held, waiting = seat_and_queue
    client.force_login(UserFactory())
    response = client.post(reverse("enrollment:course_withdraw", args=[course.code]), follow=True)
    assert f"You are not enrolled in {course.code}" in response.content.decode()
    assert fetch(held).status == Status.ENROLLED


# --- the API ---------------------------------------------------------------------------------------------


def test_withdrawing_through_the_api(seat_and_queue):
    course, holder, held, waiting = seat_and_queue
    api = token_client(holder)
    response = api.post(f"/api/enrollments/{held.pk}/withdraw/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["grade"]) == ("withdrawn", "W")
    assert EnrollmentEvent.objects.get(enrollment=held, to_status="withdrawn").via == "api"
    assert error_of(api.post(f"/api/enrollments/{held.pk}/withdraw/"), 409)["code"] == "not_enrolled"
    assert [e["status"] for e in api.get("/api/enrollments/").json()] == ["withdrawn"]


def test_the_api_refuses_a_withdrawal_outside_the_period_and_someone_elses(term, student):
    enrollment = enrollment_create(student=student, course=fresh(course_at(term, 9)))
    api = token_client(student)
    assert error_of(api.post(f"/api/enrollments/{enrollment.pk}/withdraw/"), 422)["code"] == "withdrawal_not_open"
    past_withdrawal(term)
    assert error_of(api.post(f"/api/enrollments/{enrollment.pk}/withdraw/"), 422)["code"] == (
        "withdraw_deadline_passed")
    in_withdrawal_period(term)
    assert error_of(token_client(UserFactory()).post(f"/api/enrollments/{enrollment.pk}/withdraw/"), 404)
    assert fetch(enrollment).status == Status.ENROLLED


def test_the_term_in_the_api_gives_its_withdrawal_deadline(client, term):
    CourseFactory(code="CS101", term=term)
    data = client.get("/api/courses/CS101/").json()
    assert data["term"]["withdraw_deadline"].startswith(str(timezone.localtime(term.withdraw_deadline).date()))


# --- the admin, exports and checks ---------------------------------------------------------------------


def test_the_registrar_withdraws_in_the_period_and_confirms_outside_it(registrar_client, registrar, term):
    other_term = TermFactory()
    in_period = enrollment_create(student=UserFactory(), course=fresh(course_at(term, 9)))
    early = enrollment_create(student=UserFactory(), course=fresh(course_at(other_term, 9)))
    in_withdrawal_period(term)

    page = act(registrar_client, "withdraw", [in_period, early])

    assert page.status_code == 200 and messages_of(page) == ["1 withdrawn"]
    assert [(e.pk, reason) for e, reason in page.context["rows"]] == [
        (early.pk, f"The drop deadline for {other_term} has not passed: drop {early.course.code} instead.")
    ]
    confirmed = act(registrar_client, "withdraw", [early], confirmed="yes")
    assert confirmed.status_code == 302 and messages_of(confirmed) == ["1 withdrawn"]
    assert fetch(early).status == Status.WITHDRAWN and fetch(early).grade == "W"
    assert EnrollmentEvent.objects.get(enrollment=early, to_status="withdrawn").note == "outside the withdrawal period"
    assert LogEntry.objects.get(object_id=str(early.pk)).change_message == (
        "Withdrawn outside the withdrawal period (override).")
    filtered = registrar_client.get(reverse("admin:enrollment_enrollment_changelist"), {"status__exact": "withdrawn"})
    assert sorted(e.pk for e in filtered.context["cl"].result_list) == sorted([in_period.pk, early.pk])


def test_exports_and_check_db_know_a_withdrawal(registrar_client, seat_and_queue):
    from django.core.management import call_command

    course, holder, held, waiting = seat_and_queue
    enrollment_withdraw(enrollment=fetch(held), actor=holder)
    out = io.StringIO()
    call_command("export_enrollments", "--course", course.code, stdout=out)
    rows = {row["student_email"]: (row["status"], row["grade"]) for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert rows == {holder.email: ("withdrawn", "W"), waiting.email: ("enrolled", "")}
    check = io.StringIO()
    call_command("check_db", stdout=check)
    assert "the seat counters agree" in check.getvalue()
