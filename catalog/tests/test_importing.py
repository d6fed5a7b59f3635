"""catalog.importing: an import writes only what it imports."""

from catalog.importing import Row, apply_plan, plan_import
from catalog.models import Course
from catalog.tests.factories import CourseFactory, TermFactory


def test_an_import_keeps_the_seats_taken_between_its_plan_and_its_writes(db):
    term = TermFactory(slug="fall-2026")
    course = CourseFactory(code="CS101", title="Old title", term=term, capacity=30)
    plan = plan_import([Row(line=2, data={
        "code": "CS101", "title": "Programming", "credits": "3", "term": "fall-2026", "capacity": "30",
    })])
    # Enrollments made while the import runs.
    Course.objects.filter(pk=course.pk).update(enrolled_count=7, waitlist_count=2)

    apply_plan(plan)

    course.refresh_from_db()
    assert (course.title, course.enrolled_count, course.waitlist_count) == ("Programming", 7, 2)
