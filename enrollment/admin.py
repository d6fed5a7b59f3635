from django.contrib import admin

from .models import Enrollment, EnrollmentEvent


class EnrollmentEventInline(admin.TabularInline):
    model = EnrollmentEvent
    fields = ["created_at", "from_status", "to_status", "via", "actor", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    """Read-mostly: seats and waitlists change only through enrollment.services."""

    list_display = ["student", "course", "status", "grade", "waitlisted_at", "updated_at"]
    list_select_related = ["student", "course"]
    list_filter = ["status", "grade", "course__term"]
    search_fields = ["student__email", "course__code"]
    readonly_fields = ["student", "course", "status", "waitlisted_at", "created_at", "updated_at"]
    fields = ["student", "course", "status", "grade", "waitlisted_at", "created_at", "updated_at"]
    inlines = [EnrollmentEventInline]

    def has_add_permission(self, request):
        return False
