"""The "Instructor" group: the people who teach, defined here in code like the Registrar group.

It holds no permission, and that is set exactly (one granted to it by hand is
taken away again) after every ``migrate`` by a ``post_migrate`` handler.
Instructors work on the site's teaching pages, not in the admin, and what
they may see there comes from the courses they are assigned to
(``catalog.CourseInstructor``), never from the group: a member assigned to
no course sees no roster. Assigning someone to a course puts them in the
group (registrars, who cannot edit groups, make instructors that way); the
group then marks who teaches, for the site's Teaching link and the admin's
user filter.
"""

from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS

INSTRUCTOR_GROUP = "Instructor"


def setup_instructor_group(*, using: str = DEFAULT_DB_ALIAS) -> Group:
    group, _created = Group.objects.using(using).get_or_create(name=INSTRUCTOR_GROUP)
    group.permissions.clear()
    return group


def setup_instructor_group_after_migrate(*, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    setup_instructor_group(using=using)


def add_to_instructor_group(users) -> None:
    """Put users in the group (those already in it stay, once)."""
    if users:
        setup_instructor_group().user_set.add(*users)


def is_instructor(user) -> bool:
    return user.is_authenticated and user.groups.filter(name=INSTRUCTOR_GROUP).exists()
