from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from .instructor_group import setup_instructor_group_after_migrate
        from .registrar_group import setup_registrar_group_after_migrate

        # Every app's post_migrate, not only ours: the group needs the
        # permissions of apps that migrate after accounts.
        post_migrate.connect(setup_registrar_group_after_migrate, dispatch_uid="accounts.registrar_group")
        post_migrate.connect(
            setup_instructor_group_after_migrate, sender=self, dispatch_uid="accounts.instructor_group"
        )
