"""Exports and reports for the shell, the admin and instructors; each is a fixed number of queries."""

import csv
from dataclasses import dataclass

from django.utils import timezone

from catalog.models import Course

from .models import Enrollment

EXPORT_COLUMNS = ["student_email", "student_number", "student_name", "course_code", "course_title", "term",
                  "status", "grade", "waitlisted_at", "created_at", "updated_at"]
# What makes a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def enrollments_for_export(*, term=None, course=None):
    enrollments = Enrollment.objects.select_related("student", "course", "course__term").order_by(
        "course__code", "status", "waitlisted_at", "student__email"
    )
    if term is not None:
        enrollments = enrollments.filter(course__term=term)
    if course is not None:
        enrollments = enrollments.filter(course=course)
    return enrollments


def write_enrollments_csv(enrollments, stream) -> int:
    """Enrollments as CSV, for ``export_enrollments`` and the admin's export; returns how many."""
    return write_csv(stream, EXPORT_COLUMNS, (
        [e.student.email, e.student.student_number, e.student.get_full_name(), e.course.code, e.course.title,
         e.course.term.name, e.status, e.grade, _local(e.waitlisted_at), _local(e.created_at), _local(e.updated_at)]
        for e in enrollments
    ))


ROSTER_COLUMNS = ["list", "position", "student_number", "last_name", "first_name", "email", "status", "since"]


def write_roster_csv(roster, stream) -> int:
    """A class's roster as CSV for its instructors: the enrolled students by name, then the waitlist in order."""
    return write_csv(stream, ROSTER_COLUMNS, (
        [listed, position, e.student.student_number, e.student.last_name, e.student.first_name, e.student.email,
         e.status, _local(e.waitlisted_at if e.status == "waitlisted" else e.created_at)]
        for listed, enrollments in (("enrolled", roster.enrolled), ("waitlist", roster.waitlisted))
        for position, e in enumerate(enrollments, start=1)
    ))


def write_csv(stream, header: list[str], rows) -> int:
    """Every CSV this project writes: header, then rows, each cell as text a spreadsheet shows and never runs.

    Names come from sign-up forms: a first name "=HYPERLINK(...)" would be a
    live formula in Excel or LibreOffice (CSV injection). Returns the row count.
    """
    writer = csv.writer(stream)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([_cell(value) for value in row])
        count += 1
    return count


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _local(moment) -> str:
    return timezone.localtime(moment).isoformat() if moment else ""


@dataclass
class CourseLine:
    code: str
    title: str
    term: str
    enrolled: int
    capacity: int
    waitlisted: int

    @property
    def fill_rate(self) -> float:
        return self.enrolled / self.capacity if self.capacity else 0.0


def enrollment_report(*, term=None) -> tuple[list[CourseLine], dict[str, CourseLine]]:
    """Per course and per term totals, from the courses' seat counters."""
    courses = Course.objects.with_term().order_by("term__starts_on", "code")
    if term is not None:
        courses = courses.filter(term=term)
    lines = [CourseLine(c.code, c.title, c.term.name, c.enrolled_count, c.capacity, c.waitlist_count) for c in courses]
    totals: dict[str, CourseLine] = {}
    for line in lines:
        total = totals.setdefault(line.term, CourseLine("", "", line.term, 0, 0, 0))
        total.enrolled += line.enrolled
        total.capacity += line.capacity
        total.waitlisted += line.waitlisted
    return lines, totals
