"""The week on My enrollments: laid out from the enrollments the page already has."""

import datetime
import re

from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalog.selectors import terms
from catalog.tests.factories import CourseFactory
from enrollment.models import Enrollment
from enrollment.services import enrollment_create
from enrollment.swaps import enrollment_swap
from enrollment.tests.factories import EnrollmentFactory
from enrollment.tests.test_locks import fresh
from enrollment.timetable import HEADER_PIXELS, PIXELS_PER_HOUR, term_week


def course_at(term, days, start, end, **fields):
    return CourseFactory(term=term, meeting_days=days, starts_at=datetime.time(*start), ends_at=datetime.time(*end),
                         **fields)


def week_of(student):
    return term_week(list(Enrollment.objects.filter(student=student).with_course()))


def test_one_block_per_meeting_placed_by_its_hours(term, student):
    enrollment_create(student=student, course=course_at(term, "MWF", (9,), (9, 50), code="CS101"))
    enrollment_create(student=student, course=course_at(term, "TR", (13, 30), (14, 45), code="MATH201"))

    week = week_of(student)

    assert [day.name for day in week.days] == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert [label for _, label in week.hours] == ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00"]
    assert [(m.day, m.course.code) for m in week.meetings] == [
        ("M", "CS101"), ("T", "MATH201"), ("W", "CS101"), ("R", "MATH201"), ("F", "CS101")]
    monday, tuesday = week.meetings[0], week.meetings[1]
    assert (monday.top, monday.height) == (HEADER_PIXELS, 40)  # 50 minutes of 48 px an hour
    assert tuesday.top == HEADER_PIXELS + round(4.5 * PIXELS_PER_HOUR)
    assert (monday.left, monday.width) == ("0", "100")


def test_the_week_widens_to_the_weekend_when_a_course_meets_then(term, student):
    enrollment_create(student=student, course=course_at(term, "S", (10,), (12,)))
    assert [day.letter for day in week_of(student).days] == list("MTWRFSU")


def test_overlapping_meetings_share_their_day_side_by_side(term, student):
    """A waiting swap clashes with the course it replaces: both show, each in half the column."""
    held = course_at(term, "MW", (9,), (10, 15), code="CS101")
    wanted = course_at(term, "M", (9, 30), (10, 30), code="CS102", capacity=0)
    later = course_at(term, "M", (11,), (12,), code="CS103")
    for course in (held, later):
        enrollment_create(student=student, course=course)
    enrollment_swap(student=student, course=fresh(wanted), replacing=fresh(held))

    monday = week_of(student).days[0]

    assert [(m.course.code, m.left, m.width) for m in monday.meetings] == [
        ("CS101", "0", "50"), ("CS102", "50", "50"), ("CS103", "0", "100")]
    waiting = monday.meetings[1]
    assert [text for _, text in waiting.lines] == ["CS102", "09:30–10:30", "waitlisted"]


def test_courses_without_meeting_times_are_named_below(term, student):
    enrollment_create(student=student, course=CourseFactory(term=term, code="CS190"))
    week = week_of(student)
    assert week.meetings == [] and [e.course.code for e in week.unscheduled] == ["CS190"]


def test_my_enrollments_draws_the_week_of_terms_not_over_with_a_table_for_screen_readers(
        client, term, past_term, student):
    enrollment_create(student=student, course=course_at(term, "MWF", (9,), (9, 50), code="CS101", title="Programming"))
    full = course_at(term, "TR", (11,), (12, 15), code="ART301", capacity=0)
    enrollment_create(student=student, course=full)
    EnrollmentFactory(student=student, course=course_at(past_term, "MWF", (9,), (9, 50), code="CS100"), grade="A")
    client.force_login(student)

    html = client.get(reverse("enrollment:my_enrollments")).content.decode()

    assert html.count('<figure class="timetable">') == 1 and "Your week in Fall 2026" in html
    assert len(re.findall(r'<svg class="tt-block enrolled"', html)) == 3
    assert len(re.findall(r'<svg class="tt-block waitlisted"', html)) == 2
    assert "<caption>Meetings of your Fall 2026 courses, by day</caption>" in html
    assert ('<tr><th scope="row">Monday</th><td>09:00–09:50</td><td>CS101 Programming</td><td>Enrolled</td></tr>'
            in html)
    assert "style=" not in html  # the Content-Security-Policy forbids inline style


def test_the_week_costs_my_enrollments_no_query(client, term, django_assert_max_num_queries):
    student = UserFactory()
    client.force_login(student)

    def fill(hours):
        for hour in hours:
            enrollment_create(student=student, course=course_at(term, "MW", (hour,), (hour, 50)))

    fill([8, 9])
    terms()  # the term list, read once per process (catalog.selectors)
    with django_assert_max_num_queries(4) as few:
        client.get(reverse("enrollment:my_enrollments"))
    fill([10, 11, 12])
    with django_assert_max_num_queries(4) as many:
        response = client.get(reverse("enrollment:my_enrollments"))
    assert len(few.captured_queries) == len(many.captured_queries)
    assert response.content.decode().count('class="tt-block enrolled"') == 10
