from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.dispatch import Signal
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# Sent by the admin home with the request; a receiver returns HTML to show
# above the models, or "" (enrollment's term dashboard, connected in
# enrollment.apps: the project package does not import the apps it serves).
admin_index_sections = Signal()

# The admin home's headings, in order: a registrar thinks in people, the
# catalog and enrollment, not in the apps that hold the models (allauth's
# email addresses, Django's groups). Each heading links to its first app's
# page, which shows the same heading. A model not listed keeps its app's.
SECTIONS = [
    (_("People"), "accounts", [
        "accounts.user", "enrollment.hold", "enrollment.holdkind", "accounts.apitoken", "account.emailaddress",
        "account.emailconfirmation", "auth.group",
    ]),
    (_("Catalog"), "catalog", ["catalog.term", "catalog.course"]),
    (_("Enrollment"), "enrollment", ["enrollment.enrollment", "enrollment.gradesheet", "enrollment.permit"]),
]


class RegistrarAdminSite(admin.AdminSite):
    site_header = _("Registrar administration")
    site_title = _("Registrar admin")
    index_title = _("Run the school")
    index_template = "admin/registrar_index.html"

    def get_app_list(self, request, app_label=None):
        if app_label is not None and app_label not in {home for _name, home, _models in SECTIONS}:
            return super().get_app_list(request, app_label)
        apps = super().get_app_list(request)
        models = {
            f"{app['app_label']}.{model['object_name'].lower()}": model for app in apps for model in app["models"]
        }
        sections = []
        for name, home, keys in SECTIONS:
            shown = [models.pop(key) for key in keys if key in models]
            if shown:
                sections.append({
                    "name": name, "app_label": home, "app_url": self._app_url(home, shown),
                    "has_module_perms": True, "models": shown,
                })
        if app_label is not None:
            return [section for section in sections if section["app_label"] == app_label]
        left = set(models)
        for app in apps:
            rest = [model for model in app["models"] if f"{app['app_label']}.{model['object_name'].lower()}" in left]
            if rest:
                sections.append({**app, "models": rest})
        return sections

    def _app_url(self, app_label: str, models: list[dict]) -> str:
        try:
            return reverse(f"{self.name}:app_list", kwargs={"app_label": app_label}, current_app=self.name)
        except NoReverseMatch:  # none of the app's own models is registered
            return models[0]["admin_url"] or ""

    def index(self, request, extra_context=None):
        responses = admin_index_sections.send(sender=self.__class__, request=request)
        sections = [html for _receiver, html in responses if html]
        return super().index(request, {"index_sections": sections, **(extra_context or {})})

    def login(self, request, extra_context=None):
        """Staff log in through allauth's login, with its rate limits on failed passwords.

        The admin's own form checks passwords without any limit; this sends
        visitors to allauth's page (and back here, once logged in).
        """
        return secure_admin_login(super().login)(request, extra_context)
