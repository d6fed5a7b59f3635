from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment, Via
from enrollment.services import CourseInUse, course_delete, course_fill_from_waitlist

from .models import Course, Term

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
        "name", "starts_on", "ends_on", "enrollment_opens_at", "enrollment_closes_at", "drop_deadline", "courses",
    ]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["-starts_on"]
    fieldsets = [
        (None, {"fields": ["name", "slug"]}),
        (_("Dates"), {"fields": ["starts_on", "ends_on"]}),
        (_("Enrollment window"), {"fields": ["enrollment_opens_at", "enrollment_closes_at", "drop_deadline"]}),
    ]
    inlines = [TermCourseInline]

    @admin.display(description=_("courses"))
    def courses(self, term):
        url = f"{reverse('admin:catalog_course_changelist')}?{urlencode({'term__id__exact': term.pk})}"
        return format_html('<a href="{}">{}</a>', url, _("Courses"))


class EnrollmentInline(ReadOnlyInline):
    model = Enrollment
    select_related = ("student", "course__term")  # each row is titled with its student and course
    verbose_name_plural = _("enrollments (change them from the enrollment list, with its actions)")


class CourseEnrollmentInline(EnrollmentInline):
    fields = ["student", "status", "grade", "waitlisted_at"]
    ordering = ["status", "waitlisted_at"]  # grouped by status, the waitlist in its order


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "term", "instructor", "credits", "seats", "waitlist_count"]
    list_select_related = ["term"]
    list_filter = ["term", "credits", "instructor"]
    search_fields = ["code", "title", "instructor"]
    readonly_fields = [*SEAT_COUNTERS, "manage_enrollments"]
    filter_horizontal = ["prerequisites"]
    fieldsets = [
        (None, {"fields": ["code", "title", "description", "instructor", "credits", "term"]}),
        (_("Seats"), {"fields": ["capacity", *SEAT_COUNTERS, "manage_enrollments"]}),
        (_("Schedule"), {"fields": ["meeting_days", "starts_at", "ends_at"]}),
        (_("Prerequisites"), {"fields": ["prerequisites"]}),
    ]
    inlines = [CourseEnrollmentInline]

    @admin.display(description=_("enrolled / capacity"), ordering="enrolled_count")
    def seats(self, course):
        return f"{course.enrolled_count} / {course.capacity}"

    @admin.display(description=_("enrollments"))
    def manage_enrollments(self, course):
        if course.pk is None:
            return self.get_empty_value_display()
        url = f"{reverse('admin:enrollment_enrollment_changelist')}?{urlencode({'course__id__exact': course.pk})}"
        return format_html('<a href="{}">{}</a>', url, _("Drop, promote or grade this course's students"))

    def save_model(self, request, course, form, change):
        if not change:
            return super().save_model(request, course, form, change)
        # The seat counters move only by atomic updates in enrollment.services;
        # writing back the values read with the form would undo an enrollment
        # made meanwhile.
        course.save(update_fields=[f.name for f in course._meta.concrete_fields if f.editable and not f.primary_key])
        if "capacity" in form.changed_data:
            self._give_new_seats_to_the_waitlist(request, course)

    # --- deleting: only courses nobody is enrolled in, waiting for or graded in -------

    def get_deleted_objects(self, objs, request):
        """What a deletion takes with it, and what stops it.

        ``Enrollment.course`` is PROTECT, so Django lists every enrollment as
        protected; only active and graded ones are: dropped, ungraded ones are
        deleted with the course, history included (enrollment.services.course_delete).
        """
        deleted, model_count, perms_needed, _ = super().get_deleted_objects(objs, request)
        enrollments = Enrollment.objects.filter(course__in=objs).select_related("student", "course")
        protected = [
            gettext("%(enrollment)s: an enrolled, waitlisted or graded student keeps the course") % {"enrollment": e}
            for e in enrollments.keeping_course()
        ]
        if dropped := enrollments.deletable_with_course().count():
            model_count = {**model_count, Enrollment._meta.verbose_name_plural: dropped}
        return deleted, model_count, perms_needed, protected

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except CourseInUse as error:
            # An enrollment arrived between the confirmation page and the deletion.
            self.message_user(request, error.message, messages.ERROR)
            return redirect("admin:catalog_course_change", object_id)

    def delete_model(self, request, course):
        course_delete(course=course)

    def delete_queryset(self, request, queryset):
        for course in queryset:
            try:
                course_delete(course=course)
            except CourseInUse as error:
                self.message_user(request, error.message, messages.ERROR)

    def _give_new_seats_to_the_waitlist(self, request, course):
        course.refresh_from_db(fields=SEAT_COUNTERS)
        promoted = course_fill_from_waitlist(course=course, actor=request.user, via=Via.ADMIN)
        for enrollment in promoted:
            self.log_change(request, enrollment, gettext("Promoted from the waitlist: the capacity was raised."))
        if promoted:
            self.message_user(request, ngettext(
                "%(count)d student was promoted from the waitlist.",
                "%(count)d students were promoted from the waitlist.",
                len(promoted),
            ) % {"count": len(promoted)})
