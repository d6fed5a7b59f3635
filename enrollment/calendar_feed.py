"""A student's courses as an iCalendar file, for calendar apps that subscribe to ``/calendar/<key>.ics``.

One weekly recurring event per course the student is enrolled in (not
waiting for), from the first meeting on or after the term's first day to the
term's last day, at the course's hours in the school's time zone
(``TIME_ZONE``): a recurrence in local time keeps a 9:00 class at 9:00 across
a daylight-saving change, and the file carries the zone's definition. Apps
poll the address, so a change of enrollment (an enroll, a drop, a promotion)
shows at their next poll; the file is built from one read of the student's
enrollments.
"""

import datetime

from django.utils import timezone
from icalendar import Calendar, Event

from catalog.models import WEEKDAYS

from .models import Enrollment, Status

PRODUCT = "-//Registrar//Course enrollments//EN"
RRULE_DAYS = dict(zip(WEEKDAYS, ["MO", "TU", "WE", "TH", "FR", "SA", "SU"], strict=True))


def student_enrollments_for_calendar(*, student) -> list[Enrollment]:
    """The enrollments a student's feed shows: one query."""
    return list(Enrollment.objects.filter(student=student, status=Status.ENROLLED).with_course())


def enrollments_calendar(enrollments: list[Enrollment], *, name: str, course_url) -> bytes:
    """The iCalendar file of enrollments; ``course_url(course)`` is the absolute address of a course's page."""
    zone = timezone.get_default_timezone()
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # The name Apple, Google and Outlook give the subscription.
    calendar.add("x-wr-calname", name)
    events = [event for e in sorted(enrollments, key=_order) if (event := _weekly_event(e, zone, course_url))]
    for event in events:
        calendar.add_component(event)
    if events:
        terms = [e.course.term for e in enrollments]
        calendar.add_missing_timezones(
            first_date=min(t.starts_on for t in terms) - datetime.timedelta(days=1),
            last_date=max(t.ends_on for t in terms) + datetime.timedelta(days=1),
        )
    return calendar.to_ical()


def _weekly_event(enrollment: Enrollment, zone, course_url) -> Event | None:
    course, term = enrollment.course, enrollment.course.term
    if not course.has_schedule:
        return None
    first = _first_meeting(term.starts_on, course.meeting_days)
    if first > term.ends_on:
        return None
    event = Event()
    event.add("uid", f"enrollment-{enrollment.pk}@registrar")
    event.add("dtstamp", enrollment.updated_at)
    event.add("summary", f"{course.code} {course.title}")
    event.add("dtstart", datetime.datetime.combine(first, course.starts_at, tzinfo=zone))
    event.add("dtend", datetime.datetime.combine(first, course.ends_at, tzinfo=zone))
    # UNTIL in UTC, as RFC 5545 requires beside a DTSTART in a time zone: the end of the term's last day there.
    last_moment = datetime.datetime.combine(term.ends_on, datetime.time.max.replace(microsecond=0), tzinfo=zone)
    event.add("rrule", {
        "freq": "weekly",
        "byday": [RRULE_DAYS[day] for day in course.meeting_days],
        "until": last_moment.astimezone(datetime.UTC),
    })
    details = [f"{course.credits} credits", term.name]
    if course.instructor:
        details.insert(0, course.instructor)
    event.add("description", " · ".join(details))
    event.add("url", course_url(course))
    return event


def _first_meeting(day: datetime.date, meeting_days: str) -> datetime.date:
    """The first date on or after day on which a course meeting on meeting_days meets."""
    weekdays = {WEEKDAYS.index(letter) for letter in meeting_days}
    while day.weekday() not in weekdays:
        day += datetime.timedelta(days=1)
    return day


def _order(enrollment: Enrollment):
    return enrollment.course.term.starts_on, enrollment.course.code
