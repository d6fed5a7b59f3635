from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class RegistrarAdminSite(admin.AdminSite):
    site_header = _("Registrar administration")
    site_title = _("Registrar admin")
    index_title = _("Run the school")

    def login(self, request, extra_context=None):
        """Staff log in through allauth's login, with its rate limits on failed passwords.

        The admin's own form checks passwords without any limit; this sends
        visitors to allauth's page (and back here, once logged in).
        """
        return secure_admin_login(super().login)(request, extra_context)
