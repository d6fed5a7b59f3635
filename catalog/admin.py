import copy

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from school.admin_lists import AllowedValuesListFilter, LargeListAdmin

from .instructors import course_set_instructors
from .models import Course, CourseInstructor, Term
from .selectors import with_terms

SEAT_COUNTERS = ["enrolled_count", "waitlist_count"]


class ReadOnlyInline(admin.TabularInline):
    """Rows shown for reading on their parent's page; they change on their own pages or through actions."""

    extra = 0
    show_change_link = True
    select_related: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # One query for every row with what its columns show, not one per row.
        return queryset.select_related(*self.select_related) if self.select_related else queryset

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TermCourseInline(ReadOnlyInline):
    model = Course
    fields = ["code", "title", "instructor", "credits", "enrolled_count", "capacity", "waitlist_count"]


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = [
        "name", "starts_on", "ends_on", "enrollment_opens_at", "enrollment_closes_at", "drop_deadline",
        "withdraw_deadline", "courses",
    ]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["-starts_on"]
    fieldsets = [
        (None, {"fields": ["name", "slug"]}),
        (_("Dates"), {"fields": ["starts_on", "ends_on", "grades_due_at"]}),
        (_("Enrollment window"), {"fields": [
            "enrollment_opens_at", "enrollment_closes_at", "drop_deadline", "withdraw_deadline",
        ]}),
    ]
    inlines = [TermCourseInline]

    @admin.display(description=_("courses"))
    def courses(self, term):
        url = f"{reverse('admin:catalog_course_changelist')}?{urlencode({'term__id__exact': term.pk})}"
        return format_html('<a href="{}">{}</a>', url, _("Courses"))


class CourseAdminForm(forms.ModelForm):
    instructors = forms.ModelMultipleChoiceField(
        label=_("Instructors"), queryset=get_user_model().objects.all(), required=False,
        help_text=_("The people who teach it: they see its roster, enter its grades and issue permits. "
                    "Search by name or email."),
    )

    class Meta:
        model = Course
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["instructors"] = list(
                CourseInstructor.objects.filter(course=self.instance).values_list("instructor_id", flat=True)
            )


@admin.register(Course)
class CourseAdmin(LargeListAdmin, admin.ModelAdmin):
    form = CourseAdminForm
    list_display = ["code", "title", "term", "instructor", "credits", "seats", "waitlist_count"]
    # The page is cut before its terms are attached (get_changelist_instance):
    # select_related would join every course of the catalog to its term first.
    list_select_related = ()
    # No filter by instructor: its choices would be every name in the catalog (hundreds at a large
    # school, read from every course on every page view); the search finds a name, and an old
    # ?instructor=<name> link still filters.
    list_filter = ["term", ("credits", AllowedValuesListFilter)]
    search_fields = ["code", "title", "instructor"]
    search_help_text = _("Code, title or instructor's name")
    readonly_fields = SEAT_COUNTERS
    filter_horizontal = ["prerequisites"]
    fieldsets = [
        (None, {"fields": ["code", "title", "description", "credits", "term"]}),
        (_("Teaching"), {"fields": ["instructor", "instructors"]}),
        (_("Seats"), {"fields": ["capacity", *SEAT_COUNTERS]}),
        (_("Schedule"), {"fields": ["meeting_days", "starts_at", "ends_at"]}),
        (_("Prerequisites"), {"fields": ["prerequisites"]}),
    ]

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        changelist.result_list = with_terms(changelist.result_list)
        return changelist

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # Schools have thousands of users: search them instead of listing them all.
        # The widget asks the user admin's search through the assignment's own field.
        field = copy.copy(form.base_fields["instructors"])
        field.widget = AutocompleteSelectMultiple(CourseInstructor._meta.get_field("instructor"), self.admin_site)
        form.base_fields["instructors"] = field
        return form

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        course_set_instructors(course=form.instance, instructors=form.cleaned_data["instructors"])

    @admin.display(description=_("enrolled / capacity"), ordering="enrolled_count")
    def seats(self, course):
        return f"{course.enrolled_count} / {course.capacity}"

    def save_model(self, request, course, form, change):
        if not change:
            return super().save_model(request, course, form, change)
        # The seat counters move only by atomic updates in enrollment.services;
        # writing back the values read with the form would undo an enrollment
        # made meanwhile.
        course.save(update_fields=[f.name for f in course._meta.concrete_fields if f.editable and not f.primary_key])
