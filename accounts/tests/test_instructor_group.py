import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal

from accounts.instructor_group import INSTRUCTOR_GROUP, add_to_instructor_group, is_instructor
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("db")


def test_migrate_creates_the_group_and_takes_back_any_permission_granted_by_hand():
    Group.objects.filter(name=INSTRUCTOR_GROUP).delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    group = Group.objects.get(name=INSTRUCTOR_GROUP)
    assert not group.permissions.exists()

    group.permissions.add(Permission.objects.get(codename="change_enrollment"))
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert not group.permissions.exists()


def test_members_are_instructors_and_have_no_permission():
    teacher, student = UserFactory(), UserFactory()
    add_to_instructor_group([teacher])
    add_to_instructor_group([teacher])
    assert is_instructor(teacher) and not is_instructor(student)
    assert teacher.get_all_permissions() == set()
