from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class RegistrarAdminSite(admin.AdminSite):
    site_header = _("Registrar administration")
    site_title = _("Registrar admin")
    index_title = _("Run the school")
