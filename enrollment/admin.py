"""Enrollments in the admin: every change goes through enrollment.services.

Staff add an enrollment with a form that calls ``enrollment_create`` and
change them with actions (grade, drop, promote), never by editing fields, so
the seat counters, the waitlist order and the history stay right. Overriding
a rule (capacity, the drop deadline) is never a side effect: the admin asks
first, and the service records it.
"""

import csv

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.admin import ReadOnlyInline

from .admin_forms import EnrollmentAddForm, GradeForm
from .models import Enrollment, EnrollmentEvent, Via
from .services import (
    EnrollmentError,
    enrollment_create,
    enrollment_drop,
    enrollment_promote,
    enrollment_set_grade,
)

# Posted by an action's intermediate page: staff saw it and said yes.
CONFIRMED = "confirmed"
CSV_COLUMNS = [
    "student email", "student number", "name", "course code", "term", "status", "grade", "waitlisted_at",
    "created_at",
]


def protect_active_enrollments(deletion: tuple, enrollments) -> tuple:
    """Add active enrollments to what stops a deletion (the result of get_deleted_objects).

    Deleting an active enrollment would leave its seat or waitlist place
    counted on the course for good: it has to be dropped first.
    """
    deleted, model_count, perms_needed, protected = deletion
    active = enrollments.active().select_related("student", "course")
    blocking = [gettext("%(enrollment)s: drop it first") % {"enrollment": e} for e in active]
    return deleted, model_count, perms_needed, [*protected, *blocking]


def csv_cell(value) -> str:
    """A value as text a spreadsheet shows and never runs (names come from sign-up forms)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def iso(moment) -> str:
    return timezone.localtime(moment).isoformat() if moment else ""


class EnrollmentEventInline(ReadOnlyInline):
    model = EnrollmentEvent
    fields = ["created_at", "from_status", "to_status", "via", "actor", "note"]
    select_related = ("actor",)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["student", "student_email", "course", "term", "status", "grade", "waitlisted_at", "created_at"]
    list_select_related = ["student", "course__term"]
    list_filter = ["course__term", "status", "grade"]
    search_fields = ["student__email", "course__code"]
    search_help_text = _("Student email or course code")
    fields = ["student", "course", "status", "grade", "waitlisted_at", "created_at", "updated_at"]
    inlines = [EnrollmentEventInline]
    actions = ["set_grade", "drop", "promote", "export_csv"]
    action_template = "admin/enrollment/enrollment/action_page.html"

    @admin.display(description=_("email"), ordering="student__email")
    def student_email(self, enrollment):
        return enrollment.student.email

    @admin.display(description=_("term"), ordering="course__term__starts_on")
    def term(self, enrollment):
        return enrollment.course.term

    def has_change_permission(self, request, obj=None):
        # An enrollment's page is for reading: its changes are the actions,
        # which need the change permission.
        return obj is None and super().has_change_permission(request)

    def get_deleted_objects(self, objs, request):
        deletion = super().get_deleted_objects(objs, request)
        return protect_active_enrollments(deletion, Enrollment.objects.filter(pk__in=[e.pk for e in objs]))

    # --- adding: a form in front of enrollment_create ---------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = EnrollmentAddForm(request.POST if request.method == "POST" else None, admin_site=self.admin_site)
        if form.is_valid():
            override = form.cleaned_data["override_capacity"]
            try:
                enrollment = enrollment_create(
                    student=form.cleaned_data["student"], course=form.cleaned_data["course"],
                    actor=request.user, via=Via.ADMIN, override_capacity=override,
                )
            except EnrollmentError as error:
                for reason in error.reasons or [error]:
                    form.add_error(None, reason.message)
            else:
                note = gettext("Added with a capacity override.") if override else gettext("Added.")
                self.log_addition(request, enrollment, note)
                return self.response_add(request, enrollment)
        adminform = helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}, model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Add %s") % self.opts.verbose_name,
            "adminform": adminform,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "media": self.media + adminform.media,
            "object_id": None,
            "original": None,
            "is_popup": False,
            "to_field": None,
            "preserved_filters": self.get_preserved_filters(request),
            # The saved enrollment's page is for reading only.
            "show_save_and_continue": False,
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)

    # --- actions ------------------------------------------------------------------

    @admin.action(description=_("Set a grade for the selected enrollments…"), permissions=["change"])
    def set_grade(self, request, queryset):
        form = GradeForm(request.POST if CONFIRMED in request.POST else None)
        if not form.is_valid():
            return self._action_page(
                request, "set_grade", [(e, "") for e in queryset], form=form,
                title=gettext("Set a grade"), submit=gettext("Set the grade"),
                intro=gettext("The grade is given to each enrolled student below; others are refused."),
            )
        grade = form.cleaned_data["grade"]

        def grade_one(enrollment):
            enrollment_set_grade(enrollment=enrollment, grade=grade, actor=request.user, via=Via.ADMIN)
            return gettext("Grade set to %(grade)s.") % {"grade": grade or gettext("none")}

        self._apply(request, queryset, grade_one, done=gettext("%(count)d graded"))

    @admin.action(description=_("Drop the selected enrollments"), permissions=["change"])
    def drop(self, request, queryset):
        override = CONFIRMED in request.POST

        def drop_one(enrollment):
            enrollment_drop(enrollment=enrollment, actor=request.user, via=Via.ADMIN, override_deadline=override)
            return gettext("Dropped after the drop deadline (override).") if override else gettext("Dropped.")

        held = self._apply(request, queryset, drop_one, done=gettext("%(count)d dropped"),
                           overridable="drop_deadline_passed")
        if held:
            return self._action_page(
                request, "drop", held, title=gettext("Drop after the deadline?"),
                submit=gettext("Yes, drop them after the deadline"),
                intro=gettext("The drop deadline has passed for these enrollments. Drop them anyway? "
                              "The override is recorded in each enrollment's history."),
            )

    @admin.action(description=_("Promote the selected students from the waitlist"), permissions=["change"])
    def promote(self, request, queryset):
        override = CONFIRMED in request.POST

        def promote_one(enrollment):
            enrollment_promote(enrollment=enrollment, actor=request.user, via=Via.ADMIN, override_capacity=override)
            return gettext("Promoted beyond capacity (override).") if override else gettext("Promoted.")

        # Oldest first, so a course's free seats go in waitlist order.
        held = self._apply(request, queryset.order_by("waitlisted_at", "id"), promote_one,
                           done=gettext("%(count)d promoted"), overridable="course_full")
        if held:
            return self._action_page(
                request, "promote", held, title=gettext("Promote beyond capacity?"),
                submit=gettext("Yes, give them seats beyond capacity"),
                intro=gettext("These courses have no free seat. Promote these students anyway? "
                              "The override is recorded in each enrollment's history."),
            )

    @admin.action(description=_("Export the selected enrollments as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="enrollments-{timezone.localdate():%Y-%m-%d}.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_COLUMNS)
        for e in queryset:
            writer.writerow([csv_cell(value) for value in (
                e.student.email, e.student.student_number, e.student.get_full_name(), e.course.code,
                e.course.term.name, e.status, e.grade, iso(e.waitlisted_at), iso(e.created_at),
            )])
        return response

    def _apply(self, request, enrollments, change, *, done: str, overridable: str = "") -> list:
        """Call change(enrollment) on each, log and report the results.

        Returns the (enrollment, reason) pairs refused for a reason staff may
        override (an EnrollmentError whose code is ``overridable``), to ask about.
        """
        changed, refused, held = 0, [], []
        for enrollment in enrollments:
            try:
                log_message = change(enrollment)
            except EnrollmentError as error:
                if error.code == overridable:
                    held.append((enrollment, error.message))
                else:
                    refused.append(f"{enrollment}: {error.message}")
            else:
                self.log_change(request, enrollment, log_message)
                changed += 1
        parts = [done % {"count": changed}] if changed or not held else []
        if refused:
            parts.append(gettext("%(count)d refused: %(reasons)s") % {
                "count": len(refused), "reasons": " ".join(refused),
            })
        if parts:
            self.message_user(request, "; ".join(parts), messages.WARNING if refused else messages.SUCCESS)
        return held

    def _action_page(self, request, action: str, rows: list, *, title: str, intro: str, submit: str, form=None):
        """The page between choosing an action and applying it: a choice to make or an override to confirm."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "submit": submit,
            "rows": rows,
            "form": form,
            "action": action,
            "confirmed": CONFIRMED,
            "opts": self.opts,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.action_template, context)
