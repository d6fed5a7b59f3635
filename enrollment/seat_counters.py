"""A course's seat counters checked against, and set from, its enrollments.

The counters move only by atomic updates in enrollment.services. A crash
between taking a seat and writing the enrollment can leave one too high;
``check_db`` reports it and ``check_db --fix-counters`` sets it right, and
the demo data, written in bulk, gets its counters the same way.
"""

from django.db.models import Count

from catalog.models import Course

from .models import Enrollment, Status


def counter_mismatches(*, fix: bool = False) -> list[str]:
    """Courses whose seat counters disagree with their enrollments (set right when fix)."""
    actual = {}
    for row in Enrollment.objects.active().values("course_id", "status").annotate(n=Count("id")):
        actual[(row["course_id"], row["status"])] = row["n"]
    problems = []
    for course in Course.objects.only("code", "enrolled_count", "waitlist_count"):
        enrolled = actual.get((course.pk, Status.ENROLLED), 0)
        waitlisted = actual.get((course.pk, Status.WAITLISTED), 0)
        if (course.enrolled_count, course.waitlist_count) != (enrolled, waitlisted):
            if fix:
                Course.objects.filter(pk=course.pk).update(enrolled_count=enrolled, waitlist_count=waitlisted)
            problems.append(
                f"{course.code}: counters say {course.enrolled_count} enrolled / {course.waitlist_count} waiting, "
                f"enrollments say {enrolled} / {waitlisted}"
            )
    return problems
