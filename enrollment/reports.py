"""Exports and reports that ops run from the shell; each is a fixed number of queries."""

import csv
from dataclasses import dataclass

from catalog.models import Course

from .models import Enrollment

EXPORT_COLUMNS = ["student_email", "student_number", "student_name", "course_code", "course_title", "term",
                  "status", "grade", "waitlisted_at", "created_at", "updated_at"]


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
    writer = csv.writer(stream)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for e in enrollments:
        writer.writerow([
            e.student.email, e.student.student_number, e.student.get_full_name(), e.course.code, e.course.title,
            e.course.term.name, e.status, e.grade,
            e.waitlisted_at.isoformat() if e.waitlisted_at else "", e.created_at.isoformat(), e.updated_at.isoformat(),
        ])
        count += 1
    return count


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
