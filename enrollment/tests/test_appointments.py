"""Registration appointments: groups by earned credits open a term's registration at their own times."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from catalog.models import Term
from catalog.tests.factories import CourseFactory, TermFactory
from catalog.tests.test_admin import local, no_rows, term_form
from enrollment.appointments import earned_credits, group_for, students_per_group, term_appointment_groups
from enrollment.models import AppointmentGroup, Enrollment, Status
from enrollment.services import NotEligible, enrollment_create
from enrollment.tests.factories import EnrollmentFactory
from school.api.testing import token_client

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def upcoming(db):
    """A term whose enrollment opened an hour ago, with groups: 60+ earned credits now, 30+ in a day, everyone
    in two."""
    now = timezone.now()
    term = TermFactory(name="Spring 2027", slug="spring-2027", enrollment_opens_at=now - HOUR,
                       enrollment_closes_at=now + datetime.timedelta(days=20))
    for credits, opens in ((60, now - HOUR), (30, now + datetime.timedelta(days=1)),
                           (0, now + datetime.timedelta(days=2))):
        AppointmentGroup.objects.create(term=term, min_credits=credits, opens_at=opens)
    return term


def with_earned_credits(student, credits: int, *, grade="A"):
    """Passed courses worth credits (in 10-credit courses and the rest), in a past term."""
    past = TermFactory(starts_on=timezone.localdate() - datetime.timedelta(days=300),
                       ends_on=timezone.localdate() - datetime.timedelta(days=200))
    while credits > 0:
        EnrollmentFactory(student=student, course=CourseFactory(term=past, credits=min(credits, 10)), grade=grade)
        credits -= 10
    return student


def test_earned_credits_are_the_credits_of_passed_graded_courses(student, past_term):
    for grade, credits in (("A", 4), ("P", 3), ("D-", 2), ("F", 5), ("W", 6), ("", 7), ("I", 1)):
        status = Status.WITHDRAWN if grade == "W" else Status.ENROLLED
        EnrollmentFactory(student=student, course=CourseFactory(term=past_term, credits=credits), grade=grade,
                          status=status)
    assert earned_credits(Enrollment.objects.filter(student=student).with_course()) == 9


def test_a_student_belongs_to_the_group_of_the_highest_minimum_they_reach(upcoming):
    groups = term_appointment_groups(upcoming)
    assert [g.min_credits for g in groups] == [60, 30, 0]
    assert [group_for(groups, earned).min_credits for earned in (0, 29, 30, 59, 60, 200)] == [0, 0, 30, 30, 60, 60]
    without_everyone = [g for g in groups if g.min_credits]
    assert group_for(without_everyone, 10).min_credits == 30  # below every minimum: the last to open


def test_eligibility_refuses_until_the_students_time_with_that_reason(upcoming, settings):
    settings.TIME_ZONE = "UTC"
    course = CourseFactory(code="CS301", term=upcoming)
    senior, junior, newcomer = (with_earned_credits(UserFactory(), c) for c in (60, 40, 0))

    assert enrollment_create(student=senior, course=course).status == Status.ENROLLED
    for student, credits, when in ((junior, 30, 1), (newcomer, 0, 2)):
        with pytest.raises(NotEligible) as refused:
            enrollment_create(student=student, course=course)
        (reason,) = refused.value.reasons
        opens = timezone.localtime(timezone.now() + datetime.timedelta(days=when))
        assert reason.code == "registration_appointment"
        who = f" (students with {credits} or more earned credits)" if credits else ""
        when = f"{opens:%a} {opens.day} {opens:%b %H:%M}"
        assert reason.message == f"Your registration for Spring 2027 opens {when}{who}."
    assert list(Enrollment.objects.filter(course=course).values_list("student", flat=True)) == [senior.pk]


def test_once_the_time_comes_the_student_enrolls(upcoming):
    course = CourseFactory(term=upcoming)
    junior = with_earned_credits(UserFactory(), 30)
    later = timezone.now() + datetime.timedelta(days=1, minutes=1)
    assert enrollment_create(student=junior, course=course, now=later).status == Status.ENROLLED


def test_before_enrollment_opens_the_term_says_so_once(db):
    now = timezone.now()
    term = TermFactory(enrollment_opens_at=now + HOUR, enrollment_closes_at=now + 20 * HOUR)
    AppointmentGroup.objects.create(term=term, min_credits=0, opens_at=now + HOUR)
    AppointmentGroup.objects.create(term=term, min_credits=10, opens_at=now + HOUR)
    course = CourseFactory(term=term)
    with pytest.raises(NotEligible) as refused:
        enrollment_create(student=UserFactory(), course=course)
    assert [r.code for r in refused.value.reasons] == ["enrollment_not_open"]


def test_a_new_group_is_seen_at_once_though_groups_are_cached(upcoming):
    course = CourseFactory(term=upcoming)
    senior = with_earned_credits(UserFactory(), 60)
    assert [g.min_credits for g in term_appointment_groups(upcoming)] == [60, 30, 0]
    AppointmentGroup.objects.filter(term=upcoming, min_credits=60).get().delete()
    assert [g.min_credits for g in term_appointment_groups(upcoming)] == [30, 0]
    with pytest.raises(NotEligible, match="Your registration for Spring 2027 opens"):
        enrollment_create(student=senior, course=course)


# --- pages and the API -------------------------------------------------------------------------------


def test_the_course_page_and_the_api_say_when_the_students_registration_opens(client, upcoming):
    course = CourseFactory(code="CS301", term=upcoming)
    junior = with_earned_credits(UserFactory(), 30)
    client.force_login(junior)
    html = client.get(course.get_absolute_url()).content.decode()
    assert 'data-code="registration_appointment"' in html and "Your registration for Spring 2027 opens" in html
    assert "Enroll in CS301" not in html
    data = token_client(junior).get("/api/courses/CS301/eligibility/").json()
    assert [r["code"] for r in data["reasons"]] == ["registration_appointment"]


def test_home_shows_the_students_opening_until_it_comes(client, upcoming):
    junior = with_earned_credits(UserFactory(), 30)
    client.force_login(junior)
    html = client.get("/").content.decode()
    assert "Your registration appointments" in html
    assert "Your registration for Spring 2027 opens" in html and "(students with 30 or more earned credits)" in html

    senior = with_earned_credits(UserFactory(), 60)  # their time has come
    client.force_login(senior)
    assert "Your registration appointments" not in client.get("/").content.decode()


def test_the_home_page_pays_one_query_for_appointments_whatever_the_student_has(client, upcoming,
                                                                                 django_assert_num_queries):
    CourseFactory(term=upcoming)
    student = UserFactory()
    client.force_login(student)
    client.get("/")
    # The user, the current term, its enrollments, the student's holds, and
    # their earned credits; the groups come from the shared cache.
    with django_assert_num_queries(5):
        client.get("/")
    with_earned_credits(student, 45)
    enrollment_create(student=student, course=CourseFactory(term=upcoming),
                      now=timezone.now() + datetime.timedelta(days=3))
    with django_assert_num_queries(5):
        assert "(students with 30 or more earned credits)" in client.get("/").content.decode()


def test_no_appointment_is_shown_for_a_term_whose_enrollment_closed(client, upcoming):
    Term.objects.filter(pk=upcoming.pk).update(enrollment_closes_at=timezone.now() - HOUR)
    client.force_login(UserFactory())
    assert "Your registration appointments" not in client.get("/").content.decode()


# --- the term admin ---------------------------------------------------------------------------------


def groups_form(term: Term, groups: list[tuple[int, datetime.datetime]], **changes) -> dict:
    """The term page as posted, with the groups as its appointment rows."""
    form = term_form(
        name=term.name, slug=term.slug, starts_on=str(term.starts_on), ends_on=str(term.ends_on),
        **{f"enrollment_opens_at_{i}": v for i, v in local(term.enrollment_opens_at).items()},
        **{f"enrollment_closes_at_{i}": v for i, v in local(term.enrollment_closes_at).items()},
        **changes,
    )
    form.update({**no_rows("courses"), "appointment_groups-TOTAL_FORMS": len(groups),
                 "appointment_groups-INITIAL_FORMS": 0})
    for n, (credits, opens) in enumerate(groups):
        form[f"appointment_groups-{n}-min_credits"] = credits
        form.update({f"appointment_groups-{n}-opens_at_{i}": v for i, v in local(opens).items()})
    return form


def test_the_registrar_edits_groups_on_the_term_and_sees_how_many_students_fall_in_each(registrar_client):
    now = timezone.now().replace(microsecond=0)
    term = TermFactory(name="Spring 2027", slug="spring-2027", enrollment_opens_at=now,
                       enrollment_closes_at=now + datetime.timedelta(days=20))
    with_earned_credits(UserFactory(), 60)
    for _ in range(2):
        with_earned_credits(UserFactory(), 35)
    UserFactory.create_batch(3)
    with_earned_credits(StaffFactory(), 90)  # staff are not students
    change = reverse("admin:catalog_term_change", args=[term.pk])
    groups = [(60, now), (30, now + datetime.timedelta(days=1)), (0, now + datetime.timedelta(days=2))]

    assert registrar_client.post(change, groups_form(term, groups)).status_code == 302

    assert [(g.min_credits, g.opens_at) for g in AppointmentGroup.objects.filter(term=term)] == groups
    assert [(g.min_credits, count) for g, count in students_per_group(term)] == [(60, 1), (30, 2), (0, 3)]
    html = " ".join(registrar_client.get(change).content.decode().split())
    assert "60 earned credits or more" in html and "3 students" in html and "2 students" in html


@pytest.mark.parametrize(("groups", "error"), [
    ([(60, 0), (30, 1)], "Add a group from 0 earned credits: it says when everyone else may register."),
    ([(60, 1), (0, 0)], "Students with 60 earned credits cannot open later than those with 0."),
])
def test_groups_that_would_not_make_sense_are_refused(registrar_client, groups, error):
    now = timezone.now().replace(microsecond=0)
    term = TermFactory(enrollment_opens_at=now, enrollment_closes_at=now + datetime.timedelta(days=20))
    change = reverse("admin:catalog_term_change", args=[term.pk])
    timed = [(credits, now + datetime.timedelta(days=days)) for credits, days in groups]
    response = registrar_client.post(change, groups_form(term, timed))
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][1].formset.non_form_errors() == [error]
    assert not AppointmentGroup.objects.exists()


def test_a_group_opening_outside_the_enrollment_window_is_refused(registrar_client):
    now = timezone.now().replace(microsecond=0)
    term = TermFactory(enrollment_opens_at=now, enrollment_closes_at=now + datetime.timedelta(days=20))
    change = reverse("admin:catalog_term_change", args=[term.pk])
    response = registrar_client.post(change, groups_form(term, [(0, now + datetime.timedelta(days=30))]))
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][1].formset.errors == [
        {"opens_at": ["Give a time while enrollment for the term is open."]}
    ]
