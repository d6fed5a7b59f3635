from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from .instructor_group import setup_instructor_group_after_migrate
        from .registrar_group import setup_registrar_group_after_migrate
        from .signals import revoke_api_tokens

        # Every app's post_migrate, not only ours: the group needs the
        # permissions of apps that migrate after accounts.
        post_migrate.connect(setup_registrar_group_after_migrate, dispatch_uid="accounts.registrar_group")
        post_save.connect(revoke_api_tokens, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.revoke_api_tokens")
        post_migrate.connect(
            setup_instructor_group_after_migrate, sender=self, dispatch_uid="accounts.instructor_group"
        )
