"""Who teaches a course: assigning instructors (admin, import, API, demo) and linking the old free-text names.

``Course.instructor`` is the name the catalog shows ("Dr. Mensah"); a
``CourseInstructor`` per user who teaches the course is what opens its
teaching pages to them. Assigning someone also puts them in the Instructor
group (accounts.instructor_group).
"""

import contextlib
import re
from collections import defaultdict

from django.apps import apps as global_apps
from django.db import IntegrityError

from accounts.instructor_group import INSTRUCTOR_GROUP, add_to_instructor_group

from .models import Course, CourseInstructor

# Stripped from a catalog name before it is compared with an account's name.
TITLES = {"dr", "prof", "professor", "mr", "mrs", "ms", "mx"}


def course_set_instructors(*, course: Course, instructors) -> bool:
    """Make ``instructors`` (users) exactly the ones who teach course; whether anything changed."""
    wanted = {user.pk: user for user in instructors}
    current = set(CourseInstructor.objects.filter(course=course).values_list("instructor_id", flat=True))
    removed, added = current - wanted.keys(), wanted.keys() - current
    if removed:
        CourseInstructor.objects.filter(course=course, instructor_id__in=removed).delete()
    for pk in added:
        # Assigned by a concurrent request: the assignment is there either way.
        with contextlib.suppress(IntegrityError):
            CourseInstructor.objects.create(course=course, instructor_id=pk)
    add_to_instructor_group([wanted[pk] for pk in added])
    return bool(removed or added)


def instructor_emails(*, courses=None) -> dict[str, list[str]]:
    """{course code: emails of its instructors, sorted}, for every course or those given: one query."""
    links = CourseInstructor.objects.all()
    if courses is not None:
        links = links.filter(course__in=courses)
    emails = defaultdict(list)
    for code, email in links.values_list("course__code", "instructor__email"):
        emails[code].append(email)
    return {code: sorted(found) for code, found in emails.items()}


def name_key(name: str) -> tuple[str, ...]:
    """A person's name as compared: lower case, without titles and punctuation ("Dr. Ama Mensah" is ama mensah)."""
    words = re.sub(r"[^\w\s-]", " ", name.lower()).split()
    return tuple(word for word in words if word not in TITLES)


def link_instructor_names(apps=global_apps) -> list[str]:
    """Assign to each course the instructor account its catalog name names; what was linked and what was not.

    Used by the data migration (with its historical ``apps``) and by
    ``manage.py link_instructors`` (once instructor accounts exist). Only
    members of the Instructor group are candidates, never students, who
    would otherwise see a class's roster for sharing a name with its
    teacher. A name matches an account by full name ("Dr. Ama Mensah"), or by
    surname alone ("Dr. Mensah") when exactly one instructor has it; any
    other name stays text only. The catalog name is kept either way.
    """
    course_model = apps.get_model("catalog", "Course")
    link_model = apps.get_model("catalog", "CourseInstructor")
    user_model = apps.get_model("accounts", "User")
    group = apps.get_model("auth", "Group").objects.filter(name=INSTRUCTOR_GROUP).first()
    if group is None:
        return []
    people = list(user_model.objects.filter(groups=group).order_by())
    by_name, by_surname = defaultdict(list), defaultdict(list)
    for person in people:
        by_name[name_key(f"{person.first_name} {person.last_name}")].append(person)
        by_surname[name_key(person.last_name)].append(person)
    linked = set(link_model.objects.values_list("course_id", "instructor_id"))
    report = []
    for course in course_model.objects.exclude(instructor="").order_by("code"):
        key = name_key(course.instructor)
        found = by_name.get(key) or by_surname.get(key, [])
        if len(found) != 1:
            why = "no instructor account has that name" if not found else "several instructor accounts have it"
            report.append(f"{course.code}: “{course.instructor}” kept as text: {why}")
            continue
        person = found[0]
        if (course.pk, person.pk) not in linked:
            link_model.objects.create(course=course, instructor=person)
            report.append(f"{course.code}: “{course.instructor}” linked to {person.email}")
    return report
