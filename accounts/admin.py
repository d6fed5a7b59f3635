from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from school.admin_lists import LargeListAdmin

from .forms import AdminUserChangeForm, AdminUserCreationForm
from .models import ApiToken, User

# Registrars run the school, not its access rights: only a superuser grants
# staff status or permissions, or touches another staff member's account.
SUPERUSER_ONLY_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]


@admin.register(User)
class UserAdmin(LargeListAdmin, DjangoUserAdmin):
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    ordering = ["last_name", "first_name", "email"]
    list_display = ["email", "first_name", "last_name", "student_number", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "is_superuser", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    search_help_text = _("Email address or name")
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "student_number")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "student_number", "password1", "password2"),
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if request.user.is_superuser else [*readonly, *SUPERUSER_ONLY_FIELDS]

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._may_manage(request, obj, itself=True)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_manage(request, obj, itself=True)

    def has_delete_permission(self, request, obj=None):
        # Also asked per user by the "delete selected" action.
        return super().has_delete_permission(request, obj) and self._may_manage(request, obj)

    def _may_manage(self, request, user, *, itself: bool = False) -> bool:
        """A registrar manages students (and their own name and email); a superuser, everyone."""
        if user is None or request.user.is_superuser or not user.is_staff:
            return True
        return itself and user.pk == request.user.pk


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Who holds which token, and a way to revoke it: the key itself is stored nowhere to be shown."""

    list_display = ["name", "user", "shown_hint", "created_at", "expires_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "name"]
    search_help_text = _("Email address or name of the holder, or the token's name")
    fields = ["user", "name", "shown_hint", "created_at", "expires_at", "last_used_at"]
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description=_("token"))
    def shown_hint(self, token):
        return f"{token.hint}…"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # A registrar manages students; other staff's tokens are a superuser's.
        return queryset if request.user.is_superuser else queryset.filter(user__is_staff=False)

    def has_add_permission(self, request):
        return False  # a token's key would be shown to whoever made it

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # "revoke" says what it does, and needs no join
        return actions

    @admin.action(permissions=["delete"], description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        tokens = list(queryset)
        self.log_deletions(request, tokens)
        # By key: the registrar's queryset joins the users, which a delete on MongoDB cannot.
        ApiToken.objects.filter(pk__in=[token.pk for token in tokens]).delete()
        self.message_user(request, ngettext("%d token revoked.", "%d tokens revoked.", len(tokens)) % len(tokens))
