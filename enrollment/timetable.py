"""A term's week on My enrollments: where each meeting of a student's courses sits, laid out for an SVG picture.

The Content-Security-Policy allows no inline style, so everything is placed
here in numbers that the template writes into SVG attributes: across, in
percent of the width (the picture fits any screen); down, in pixels from the
first hour (text keeps its size). Courses that overlap (a waiting swap beside
the course it replaces) share their day's column side by side. It reads only
the enrollments the page already has.
"""

import calendar
import datetime
from dataclasses import dataclass, field

from catalog.models import WEEKDAY_NAMES, WEEKDAYS

from .models import Enrollment

WORKWEEK = "MTWRF"
WEEKEND = "SU"
PIXELS_PER_HOUR = 48
HEADER_PIXELS = 28  # the row of day names
GUTTER_PERCENT = 10  # the column of hour labels
LINE_PIXELS = 14
BOTTOM_PIXELS = 10  # below the last hour line, for its label


@dataclass
class Meeting:
    enrollment: Enrollment
    day: str
    top: int
    height: int
    lane: int = 0
    lanes: int = 1

    @property
    def course(self):
        return self.enrollment.course

    @property
    def day_name(self) -> str:
        return calendar.day_name[WEEKDAYS.index(self.day)]

    @property
    def left(self) -> str:
        return _percent(100 * self.lane / self.lanes)

    @property
    def width(self) -> str:
        return _percent(100 / self.lanes)

    @property
    def lines(self) -> list[tuple[int, str]]:
        """(y within the block, text) of the lines that fit in it: code, time, status."""
        course = self.course
        text = [course.code, f"{course.starts_at:%H:%M}–{course.ends_at:%H:%M}"]
        if self.enrollment.status == "waitlisted":
            text.append("waitlisted")
        fitting = max(1, (self.height - 4) // LINE_PIXELS)
        return [(LINE_PIXELS * (n + 1) - 1, line) for n, line in enumerate(text[:fitting])]


@dataclass
class Day:
    letter: str
    left: str
    width: str
    meetings: list[Meeting] = field(default_factory=list)

    @property
    def name(self) -> str:
        return WEEKDAY_NAMES[self.letter]


@dataclass
class Week:
    days: list[Day]
    hours: list[tuple[int, str]]  # (y, label) of each hour line
    height: int
    unscheduled: list[Enrollment]

    @property
    def gutter(self) -> str:
        return _percent(GUTTER_PERCENT)

    @property
    def meetings(self) -> list[Meeting]:
        """Every meeting, by day then time: the table beside the picture."""
        return [meeting for day in self.days for meeting in day.meetings]


def term_week(enrollments: list[Enrollment]) -> Week | None:
    """The week of a term's active enrollments (enrolled or waiting), or None when there is none."""
    active = [e for e in enrollments if e.is_active]
    if not active:
        return None
    scheduled = [e for e in active if e.course.has_schedule]
    letters = WORKWEEK + (WEEKEND if any(set(e.course.meeting_days) & set(WEEKEND) for e in scheduled) else "")
    first = min((e.course.starts_at.hour for e in scheduled), default=8)
    last = max((_hour_after(e.course.ends_at) for e in scheduled), default=first + 1)
    width = (100 - GUTTER_PERCENT) / len(letters)
    days = [Day(letter, _percent(GUTTER_PERCENT + n * width), _percent(width)) for n, letter in enumerate(letters)]
    for day in days:
        for enrollment in scheduled:
            course = enrollment.course
            if day.letter in course.meeting_days:
                top, bottom = (HEADER_PIXELS + _pixels(time, first) for time in (course.starts_at, course.ends_at))
                day.meetings.append(Meeting(enrollment, day.letter, top, bottom - top))
        day.meetings.sort(key=lambda m: (m.top, m.course.code))
        _share_lanes(day.meetings)
    hours = [(HEADER_PIXELS + (hour - first) * PIXELS_PER_HOUR, f"{hour:02d}:00") for hour in range(first, last + 1)]
    return Week(
        days=days,
        hours=hours,
        height=HEADER_PIXELS + (last - first) * PIXELS_PER_HOUR + BOTTOM_PIXELS,
        unscheduled=sorted((e for e in active if not e.course.has_schedule), key=lambda e: e.course.code),
    )


def _share_lanes(meetings: list[Meeting]) -> None:
    """Put overlapping meetings (in order of time) side by side: each group of overlaps split into as many lanes
    as it needs."""
    group: list[Meeting] = []
    group_end = 0
    for meeting in meetings:
        if group and meeting.top >= group_end:
            _settle(group)
            group = []
        lane_ends = {}
        for other in group:
            lane_ends[other.lane] = max(lane_ends.get(other.lane, 0), other.top + other.height)
        meeting.lane = next(
            (lane for lane in range(len(lane_ends) + 1) if lane_ends.get(lane, 0) <= meeting.top), len(lane_ends)
        )
        group.append(meeting)
        group_end = max(group_end, meeting.top + meeting.height)
    _settle(group)


def _settle(group: list[Meeting]) -> None:
    lanes = 1 + max((m.lane for m in group), default=0)
    for meeting in group:
        meeting.lanes = lanes


def _pixels(time: datetime.time, first_hour: int) -> int:
    return round((time.hour - first_hour + time.minute / 60) * PIXELS_PER_HOUR)


def _hour_after(time: datetime.time) -> int:
    return time.hour + (1 if time.minute or time.second else 0)


def _percent(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")
