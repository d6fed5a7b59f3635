from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from catalog.admin import EnrollmentInline
from enrollment.admin import protect_active_enrollments
from enrollment.models import Enrollment

from .forms import AdminUserChangeForm, AdminUserCreationForm
from .models import User

# Registrars run the school, not its access rights: only a superuser grants
# staff status or permissions, or touches another staff member's account.
SUPERUSER_ONLY_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]


class StudentEnrollmentInline(EnrollmentInline):
    fields = ["course", "term", "status", "grade"]

    @admin.display(description=_("term"))
    def term(self, enrollment):
        return enrollment.course.term


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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
    inlines = [StudentEnrollmentInline]

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

    def get_deleted_objects(self, objs, request):
        deletion = super().get_deleted_objects(objs, request)
        return protect_active_enrollments(deletion, Enrollment.objects.filter(student__in=[u.pk for u in objs]))
