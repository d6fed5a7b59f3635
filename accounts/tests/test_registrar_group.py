import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal

from accounts.registrar_group import REGISTRAR_GROUP, setup_registrar_group

pytestmark = pytest.mark.usefixtures("db")


def group_permissions() -> set[str]:
    group = Group.objects.get(name=REGISTRAR_GROUP)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_migrate_creates_the_group_with_exactly_the_registrar_permissions():
    Group.objects.filter(name=REGISTRAR_GROUP).delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert group_permissions() == {
        *(f"accounts.{a}_user" for a in ("view", "add", "change", "delete")),
        "accounts.view_apitoken", "accounts.delete_apitoken",
        *(f"catalog.{a}_term" for a in ("view", "add", "change", "delete")),
        *(f"catalog.{a}_course" for a in ("view", "add", "change", "delete")),
        *(f"enrollment.{a}_enrollment" for a in ("view", "add", "change", "delete")),
        "enrollment.view_enrollmentevent",
        "enrollment.view_permit",
        "enrollment.view_gradesheet",
        *(f"enrollment.{a}_hold" for a in ("view", "add", "change")),
        *(f"enrollment.{a}_holdkind" for a in ("view", "add", "change", "delete")),
        *(f"enrollment.{a}_appointmentgroup" for a in ("view", "add", "change", "delete")),
        "admin.view_logentry",
    }


def test_the_command_is_idempotent_and_says_what_it_did(capsys):
    call_command("setup_registrar_group")
    assert capsys.readouterr().out == "Created the Registrar group with 33 permissions.\n"
    call_command("setup_registrar_group")
    assert capsys.readouterr().out == "The Registrar group is up to date (33 permissions).\n"
    assert Group.objects.filter(name=REGISTRAR_GROUP).count() == 1


def test_a_permission_granted_by_hand_is_taken_back_and_a_missing_one_restored(capsys):
    setup_registrar_group()
    group = Group.objects.get(name=REGISTRAR_GROUP)
    group.permissions.add(Permission.objects.get(codename="change_group"))
    group.permissions.remove(Permission.objects.get(codename="view_course"))
    call_command("setup_registrar_group")
    assert capsys.readouterr().out == (
        "Updated the Registrar group: added catalog.view_course; removed auth.change_group.\n"
    )
    assert "auth.change_group" not in group_permissions() and "catalog.view_course" in group_permissions()


def test_a_registrar_has_the_groups_permissions_and_no_others(registrar):
    assert registrar.get_all_permissions() == group_permissions()
    assert not registrar.has_perm("auth.change_group") and not registrar.has_perm("auth.view_permission")
