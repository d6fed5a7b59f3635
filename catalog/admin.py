from django.contrib import admin

from .models import Course, Term


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on", "enrollment_opens_at", "enrollment_closes_at", "drop_deadline"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["-starts_on"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "term", "instructor", "credits", "enrolled_count", "capacity", "waitlist_count"]
    list_select_related = ["term"]
    list_filter = ["term", "credits"]
    search_fields = ["code", "title", "instructor"]
    readonly_fields = ["enrolled_count", "waitlist_count"]
    filter_horizontal = ["prerequisites"]
    fieldsets = [
        (None, {"fields": ["code", "title", "description", "instructor", "credits", "term"]}),
        ("Seats", {"fields": ["capacity", "enrolled_count", "waitlist_count"]}),
        ("Schedule", {"fields": ["meeting_days", "starts_at", "ends_at"]}),
        ("Prerequisites", {"fields": ["prerequisites"]}),
    ]
