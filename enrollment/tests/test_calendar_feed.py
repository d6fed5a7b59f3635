"""The calendar feed: what a calendar app reads, checked by readers other than the writer, and who can read it."""

import datetime
import logging
from pathlib import Path

import pytest
from bson import ObjectId
from dateutil.rrule import rrulestr
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from icalendar import Calendar

from accounts.models import CalendarKey
from accounts.tests.factories import UserFactory
from catalog.tests.factories import CourseFactory, TermFactory
from enrollment.calendar_feed import enrollments_calendar
from enrollment.models import Enrollment
from enrollment.services import enrollment_create, enrollment_drop
from enrollment.tests.factories import EnrollmentFactory
from enrollment.tests.test_locks import at_once

FIXTURE = Path(__file__).parent / "fixtures" / "classes.ics"
NEW_YORK = "America/New_York"


@pytest.fixture
def fall(db):
    """Tuesday 8 September to Friday 18 December 2026: daylight-saving time ends on 1 November."""
    return TermFactory(name="Fall 2026", slug="fall-2026", starts_on=datetime.date(2026, 9, 8),
                       ends_on=datetime.date(2026, 12, 18))


def course_at(term, code, days, start, end, **fields):
    return CourseFactory(term=term, code=code, meeting_days=days, starts_at=datetime.time(*start),
                         ends_at=datetime.time(*end), **fields)


def feed_url(key):
    return reverse("enrollment:calendar_feed", args=[key])


def events(response) -> dict:
    """{summary: VEVENT} as icalendar's parser reads the response."""
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def subscribed(student):
    """The student's calendar key, as the profile page gives it."""
    return CalendarKey.objects.reset(user=student)


# --- what a calendar app reads -----------------------------------------------------------------


@override_settings(TIME_ZONE=NEW_YORK)
def test_one_weekly_event_per_enrolled_course_for_the_whole_term_in_the_schools_time_zone(
        client, fall, student, subscribed):
    enrollment_create(student=student, course=course_at(fall, "CS101", "MWF", (9,), (9, 50), title="Programming"))
    enrollment_create(student=student, course=course_at(fall, "MATH201", "TR", (13, 30), (14, 45), title="Algebra"))
    enrollment_create(student=student, course=course_at(fall, "ART301", "M", (15,), (16,), capacity=0))
    enrollment_create(student=student, course=CourseFactory(term=fall, code="CS190", title="Reading"))

    found = events(client.get(feed_url(subscribed)))

    assert set(found) == {"CS101 Programming", "MATH201 Algebra"}  # not the waitlist, nor a course without hours
    cs101 = found["CS101 Programming"]
    start = cs101.decoded("DTSTART")
    assert (start.date(), start.time(), start.tzinfo.key) == (datetime.date(2026, 9, 9), datetime.time(9), NEW_YORK)
    assert cs101.decoded("DTEND").time() == datetime.time(9, 50)
    rule = cs101["RRULE"]
    assert (rule["FREQ"], rule["BYDAY"]) == (["WEEKLY"], ["MO", "WE", "FR"])
    assert rule["UNTIL"] == [datetime.datetime(2026, 12, 19, 4, 59, 59, tzinfo=datetime.UTC)]
    assert found["MATH201 Algebra"].decoded("DTSTART").date() == datetime.date(2026, 9, 8)

    # dateutil expands the rule as a calendar app does: every meeting of the term, 9:00 on both sides of the
    # daylight-saving change.
    meetings = list(rrulestr(cs101["RRULE"].to_ical().decode(), dtstart=start))
    assert (meetings[0].date(), meetings[-1].date(), len(meetings)) == (
        datetime.date(2026, 9, 9), datetime.date(2026, 12, 18), 44)
    assert {m.time() for m in meetings} == {datetime.time(9)}
    assert {m.utcoffset() for m in meetings} == {datetime.timedelta(hours=-4), datetime.timedelta(hours=-5)}


@override_settings(TIME_ZONE=NEW_YORK)
def test_the_file_is_exactly_the_hand_checked_fixture(fall):
    """enrollment/tests/fixtures/classes.ics was read line by line against RFC 5545: a VTIMEZONE for New York
    covering the term (EDT until 2 a.m. on 1 November, EST after), DTSTART on the first Monday, Wednesday or
    Friday on or after 8 September (Wednesday the 9th) at 9:00 local time, UNTIL the end of 18 December in
    New York given in UTC (04:59:59Z on the 19th), text escaped and lines folded at 75 octets."""
    course = course_at(fall, "CS101", "MWF", (9,), (9, 50), title="Programming; Fundamentals, with Python",
                       instructor="Dr. Grace Hopper", credits=4)
    enrollment = EnrollmentFactory(id=ObjectId("6a0c5e2f9b1d4c3e8f7a6b5c"), course=course)
    Enrollment.objects.filter(pk=enrollment.pk).update(
        updated_at=datetime.datetime(2026, 8, 20, 14, 30, tzinfo=datetime.UTC))

    written = enrollments_calendar(
        list(Enrollment.objects.with_course()), name="Ada: classes",
        course_url=lambda c: f"https://registrar.example.edu{c.get_absolute_url()}",
    )

    assert written.decode() == FIXTURE.read_text().replace("\n", "\r\n")


def test_the_feed_follows_enrolling_dropping_and_promotion(client, term, student, subscribed):
    course = course_at(term, "CS101", "MWF", (9,), (9, 50), capacity=1, title="Programming")
    holder = UserFactory()
    enrollment_create(student=holder, course=course)
    enrollment_create(student=student, course=course)
    other = course_at(term, "HIST101", "TR", (9,), (10,), title="History")
    assert events(client.get(feed_url(subscribed))) == {}

    enrollment_create(student=student, course=other)
    assert set(events(client.get(feed_url(subscribed)))) == {"HIST101 History"}

    enrollment_drop(enrollment=Enrollment.objects.with_course().get(student=holder), actor=holder)
    assert set(events(client.get(feed_url(subscribed)))) == {"HIST101 History", "CS101 Programming"}

    enrollment_drop(enrollment=Enrollment.objects.with_course().get(student=student, course=other), actor=student)
    assert set(events(client.get(feed_url(subscribed)))) == {"CS101 Programming"}


def test_the_feed_costs_at_most_three_queries_however_many_courses(client, term, student, subscribed,
                                                                   django_assert_max_num_queries):
    def enroll(hours):
        for hour in hours:
            enrollment_create(student=student, course=course_at(term, f"CS{hour}01", "MW", (hour,), (hour, 50)))

    enroll([8])
    with django_assert_max_num_queries(3) as few:
        client.get(feed_url(subscribed))
    enroll([9, 10, 11, 12])
    with django_assert_max_num_queries(3) as many:
        response = client.get(feed_url(subscribed))
    assert len(few.captured_queries) == len(many.captured_queries) == 2  # the key with its user, the enrollments
    assert len(events(response)) == 5


def test_calendar_apps_may_keep_it_a_while_and_ask_whether_it_changed(client, term, student, subscribed):
    enrollment_create(student=student, course=course_at(term, "CS101", "MWF", (9,), (9, 50)))
    response = client.get(feed_url(subscribed))
    assert response["Cache-Control"] == "private, max-age=900"
    etag = response["ETag"]

    again = client.get(feed_url(subscribed), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag

    enrollment_create(student=student, course=course_at(term, "CS102", "TR", (9,), (9, 50)))
    changed = client.get(feed_url(subscribed), headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag


# --- who can read it ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/calendar/" + "A" * 43 + ".ics",  # well formed, nobody's
    "/calendar/" + "A" * 42 + ".ics",
    "/calendar/" + "A" * 42 + "%24.ics",
    "/calendar/.ics",
])
def test_an_unknown_key_is_a_plain_404(client, subscribed, path):
    response = client.get(path)
    assert response.status_code == 404 and b"BEGIN:VCALENDAR" not in response.content


def test_a_new_address_stops_the_old_one_and_stopping_stops_both(client, student, subscribed):
    new = CalendarKey.objects.reset(user=student)
    assert client.get(feed_url(subscribed)).status_code == 404
    assert client.get(feed_url(new)).status_code == 200
    CalendarKey.objects.filter(user=student).delete()
    assert client.get(feed_url(new)).status_code == 404


def test_parallel_resets_leave_one_key_whose_address_is_the_last_written(client, student):
    keys = at_once([lambda: CalendarKey.objects.reset(user=student) for _ in range(4)])
    assert CalendarKey.objects.filter(user=student).count() == 1
    assert sorted(client.get(feed_url(key)).status_code for key in keys) == [200, 404, 404, 404]


def test_a_deactivated_students_feed_is_gone(client, student, subscribed):
    student.is_active = False
    student.save()
    assert client.get(feed_url(subscribed)).status_code == 404


def test_only_the_hash_of_the_key_is_stored(student, subscribed):
    stored = connection.database[CalendarKey._meta.db_table].find_one({})
    assert subscribed not in str(stored) and stored["key_hash"] == CalendarKey.hash(subscribed)


def test_the_key_stays_out_of_the_request_log(client, student, subscribed, caplog):
    with caplog.at_level(logging.INFO, logger="registrar.requests"):
        client.get(feed_url(subscribed))
    assert "GET /calendar/<key>.ics 200" in caplog.text and subscribed not in caplog.text


def test_the_feed_answers_only_reads(client, subscribed):
    assert client.post(feed_url(subscribed)).status_code == 405
    assert client.head(feed_url(subscribed)).status_code == 200


# --- the profile page ------------------------------------------------------------------------------


def test_the_profile_page_makes_the_address_shows_it_once_and_makes_a_new_one(client, student):
    client.force_login(student)
    assert "Make my calendar address" in client.get("/profile/").content.decode()

    html = client.post(reverse("accounts:calendar_reset")).content.decode()
    key = CalendarKey.objects.get(user=student)
    address = html.split('id="new-calendar-address"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert address.startswith("http://testserver/calendar/") and address.endswith(".ics")
    assert client.get(address.removeprefix("http://testserver")).status_code == 200
    assert CalendarKey.hash(address.split("/")[-1].removesuffix(".ics")) == key.key_hash

    later = client.get("/profile/").content.decode()
    assert ".ics" not in later and "Make a new calendar address" in later

    client.post(reverse("accounts:calendar_reset"))
    assert client.get(address.removeprefix("http://testserver")).status_code == 404
    assert CalendarKey.objects.filter(user=student).count() == 1


def test_stopping_the_address_from_the_profile_page(client, student, subscribed):
    client.force_login(student)
    response = client.post(reverse("accounts:calendar_stop"), follow=True)
    assert "Your calendar address no longer works." in response.content.decode()
    assert client.get(feed_url(subscribed)).status_code == 404


def test_the_address_is_made_only_by_its_student_with_a_post(client, student):
    url = reverse("accounts:calendar_reset")
    response = client.post(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(student)
    assert client.get(url).status_code == 405
    assert not CalendarKey.objects.exists()
