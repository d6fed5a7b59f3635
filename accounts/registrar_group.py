"""The "Registrar" group: staff who run the school from the admin, and nothing more.

Its permissions are defined here, in code, and set exactly (one granted to
the group by hand is taken away again), after every ``migrate`` by a
``post_migrate`` handler (permissions exist only once their app has
migrated, so a data migration could not assign them) and by
``manage.py setup_registrar_group``.
"""

import contextlib
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS

REGISTRAR_GROUP = "Registrar"

EDIT = ("view", "add", "change", "delete")
REGISTRAR_PERMISSIONS = {
    ("accounts", "user"): EDIT,
    ("accounts", "apitoken"): ("view", "delete"),
    ("catalog", "term"): EDIT,
    ("catalog", "course"): EDIT,
    ("enrollment", "enrollment"): EDIT,
    ("enrollment", "enrollmentevent"): ("view",),
    ("enrollment", "permit"): ("view",),
    ("enrollment", "gradesheet"): ("view",),
    # Holds are placed and lifted, never edited or deleted: they are the record of what the student was told.
    ("enrollment", "hold"): ("view", "add", "change"),
    ("enrollment", "holdkind"): EDIT,
    ("enrollment", "appointmentgroup"): EDIT,
    ("admin", "logentry"): ("view",),
}
WANTED = frozenset(
    f"{app}.{action}_{model}" for (app, model), actions in REGISTRAR_PERMISSIONS.items() for action in actions
)


class PermissionsMissing(LookupError):
    """Some of the group's permissions do not exist yet: their app has not migrated."""


@dataclass
class GroupSetup:
    created: bool
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __str__(self):
        if self.created:
            return f"Created the {REGISTRAR_GROUP} group with {len(WANTED)} permissions."
        if not (self.added or self.removed):
            return f"The {REGISTRAR_GROUP} group is up to date ({len(WANTED)} permissions)."
        changes = [f"{verb} {', '.join(names)}" for verb, names in (("added", self.added), ("removed", self.removed))
                   if names]
        return f"Updated the {REGISTRAR_GROUP} group: {'; '.join(changes)}."


def setup_registrar_group(*, using: str = DEFAULT_DB_ALIAS) -> GroupSetup:
    """Create the group, or bring its permissions back to exactly REGISTRAR_PERMISSIONS."""
    # Plain reads rather than joins: this runs after every app's migrations.
    app_labels = dict(ContentType.objects.using(using).values_list("pk", "app_label"))

    def name(permission: Permission) -> str:
        return f"{app_labels[permission.content_type_id]}.{permission.codename}"

    codenames = {wanted_name.split(".")[1] for wanted_name in WANTED}
    # order_by(): Permission's default ordering would join the content types.
    candidates = Permission.objects.using(using).filter(codename__in=codenames).order_by()
    wanted = {permission.pk: permission for permission in candidates if name(permission) in WANTED}
    if missing := WANTED - {name(permission) for permission in wanted.values()}:
        raise PermissionsMissing(f"Permissions not found (run migrate first): {', '.join(sorted(missing))}.")
    group, created = Group.objects.using(using).get_or_create(name=REGISTRAR_GROUP)
    held = set(Group.permissions.through.objects.using(using).filter(group=group).values_list("permission", flat=True))
    extra = list(Permission.objects.using(using).filter(pk__in=held - wanted.keys()))
    group.permissions.add(*(wanted.keys() - held))
    group.permissions.remove(*extra)
    return GroupSetup(
        created=created,
        added=[] if created else sorted(name(p) for pk, p in wanted.items() if pk not in held),
        removed=sorted(name(p) for p in extra),
    )


def setup_registrar_group_after_migrate(*, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate handler, called once per migrated app: acts once every permission exists."""
    # A later app's post_migrate, once its permissions exist, calls again.
    with contextlib.suppress(PermissionsMissing):
        setup_registrar_group(using=using)
