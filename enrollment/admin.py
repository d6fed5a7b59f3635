"""Enrollments in the admin: every change goes through enrollment.services.

Staff add an enrollment with a form that calls ``enrollment_create`` and
change them with actions (grade, drop, withdraw, promote), never by editing
fields, so the seat counters, the waitlist order and the history stay right.
Overriding a rule (capacity, the drop or withdrawal deadline) is never a
side effect: the admin asks first, and the service records it.

The course, term and user pages of the catalog and accounts admins are
extended here (re-registered subclasses) with enrollments, registration
appointments and holds: those apps never import this one. Holds are placed
and lifted through enrollment.holds, on the user page and from the user list.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts import admin as accounts_admin
from accounts.models import User
from catalog import admin as catalog_admin
from catalog.admin import ReadOnlyInline
from catalog.models import Course, Term
from catalog.selectors import term_course_ids, term_options
from school.admin_lists import LargeListAdmin

from .admin_forms import (
    AppointmentGroupFormSet,
    EnrollmentAddForm,
    GradeForm,
    HoldForm,
    HoldInlineForm,
    HoldKindChoiceForm,
)
from .appointments import students_per_group
from .holds import HoldAlreadyLifted, hold_lift, hold_place
from .models import AppointmentGroup, Enrollment, EnrollmentEvent, GradeSheet, Hold, HoldKind, Permit, Via
from .reports import write_enrollments_csv
from .selectors import students_over_credit_limit
from .services import (
    CourseInUse,
    EnrollmentError,
    course_delete,
    course_fill_from_waitlist,
    enrollment_create,
    enrollment_drop,
    enrollment_promote,
    enrollment_set_grade,
    enrollment_withdraw,
)

# Posted by an action's intermediate page: staff saw it and said yes.
CONFIRMED = "confirmed"


def protect_active_enrollments(deletion: tuple, enrollments) -> tuple:
    """Add active enrollments to what stops a deletion (the result of get_deleted_objects).

    Deleting an active enrollment would leave its seat or waitlist place
    counted on the course for good: it has to be dropped first.
    """
    deleted, model_count, perms_needed, protected = deletion
    active = enrollments.active().select_related("student", "course")
    blocking = [gettext("%(enrollment)s: drop it first") % {"enrollment": e} for e in active]
    return deleted, model_count, perms_needed, [*protected, *blocking]


class ConfirmingActions:
    """Actions with a page between choosing them and applying them: a choice to make or an override to confirm."""

    action_template = "admin/enrollment/enrollment/action_page.html"

    def _action_page(self, request, action: str, rows: list, *, title: str, intro: str, submit: str, form=None):
        """``rows`` are (object, reason) pairs, listed and posted again with the answer."""
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


class EnrollmentEventInline(ReadOnlyInline):
    model = EnrollmentEvent
    fields = ["created_at", "from_status", "to_status", "from_grade", "to_grade", "via", "actor", "note"]
    select_related = ("actor",)


class CourseTermFilter(admin.RelatedFieldListFilter):
    """Enrollments of a term, matched by the term's courses (an index on the enrollment's course),
    not by joining every enrollment of the school to its course first."""

    def queryset(self, request, queryset):
        if not self.lookup_val or self.lookup_val_isnull:
            return super().queryset(request, queryset)
        return queryset.filter(course_id__in=term_course_ids(*self.lookup_val))


@admin.register(Enrollment)
class EnrollmentAdmin(LargeListAdmin, ConfirmingActions, admin.ModelAdmin):
    list_display = ["student", "student_email", "course", "term", "status", "grade", "waitlisted_at", "created_at"]
    # Each page's students and courses (with their terms) are read by key
    # once the page is cut (get_changelist_instance): select_related would
    # join every enrollment of the school before sorting them, and
    # prefetch_related matches keys with an $expr, which no index serves.
    list_select_related = ()
    list_filter = [("course__term", CourseTermFilter), "status", "grade"]
    search_fields = ["student__email", "course__code"]
    search_help_text = _("Student email or course code")
    fields = [
        "student", "course", "status", "grade", "waitlisted_at", "permit", "swap_for", "created_at", "updated_at",
    ]
    inlines = [EnrollmentEventInline]
    actions = ["set_grade", "drop", "withdraw", "promote", "export_csv"]

    @admin.display(description=_("email"), ordering="student__email")
    def student_email(self, enrollment):
        return enrollment.student.email

    @admin.display(description=_("term"), ordering="course__term__starts_on")
    def term(self, enrollment):
        return enrollment.course.term

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        enrollments = list(changelist.result_list)
        students = User.objects.in_bulk({enrollment.student_id for enrollment in enrollments})
        courses = Course.objects.with_term().in_bulk({enrollment.course_id for enrollment in enrollments})
        for enrollment in enrollments:
            enrollment.student, enrollment.course = students[enrollment.student_id], courses[enrollment.course_id]
        changelist.result_list = enrollments
        return changelist

    def has_change_permission(self, request, obj=None):
        # An enrollment's page is for reading: its changes are the actions,
        # which need the change permission.
        return obj is None and super().has_change_permission(request)

    def get_deleted_objects(self, objs, request):
        deletion = super().get_deleted_objects(objs, request)
        return protect_active_enrollments(deletion, Enrollment.objects.filter(pk__in=[e.pk for e in objs]))

    # --- adding: Django's add page in front of enrollment_create ----------------

    add_form = EnrollmentAddForm
    add_fieldsets = [(None, {"fields": ["student", "course", "override_capacity"]})]
    # Schools have thousands of students: search them instead of listing them all.
    autocomplete_fields = ["student", "course"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "course":
            # Eligibility and the service read the course's term.
            kwargs["queryset"] = Course.objects.with_term()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def add_view(self, request, form_url="", extra_context=None):
        # The saved enrollment's page is for reading only.
        extra_context = {"show_save_and_continue": False, **(extra_context or {})}
        try:
            return super().add_view(request, form_url, extra_context)
        except EnrollmentError as error:
            # Refused after the form's check: another request changed the
            # course or the student's enrollments in between.
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, enrollment, form, change):
        created = enrollment_create(
            student=enrollment.student, course=enrollment.course, actor=request.user, via=Via.ADMIN,
            override_capacity=form.cleaned_data["override_capacity"],
        )
        # The admin logs and links the instance it passed in: make it the one
        # the service wrote (new, or a dropped enrollment taken up again).
        enrollment.pk = created.pk
        enrollment.refresh_from_db()

    def construct_change_message(self, request, form, formsets, add=False):
        if form.cleaned_data["override_capacity"]:
            return gettext("Added with a capacity override.")
        return gettext("Added.")

    # --- actions ------------------------------------------------------------------

    @admin.action(description=_("Set or change the grade of the selected enrollments…"), permissions=["change"])
    def set_grade(self, request, queryset):
        form = GradeForm(request.POST if CONFIRMED in request.POST else None)
        if not form.is_valid():
            return self._action_page(
                request, "set_grade", [(e, "") for e in queryset], form=form,
                title=gettext("Set or change a grade"), submit=gettext("Set the grade"),
                intro=gettext("The grade is given to each enrolled student below; others are refused. "
                              "Each enrollment's history keeps the old grade, the new one, who and why."),
            )
        grade, reason = form.cleaned_data["grade"], form.cleaned_data["reason"]

        def grade_one(enrollment):
            before = enrollment.grade
            enrollment_set_grade(enrollment=enrollment, grade=grade, actor=request.user, reason=reason, via=Via.ADMIN)
            return gettext("Grade changed from %(before)s to %(after)s: %(reason)s") % {
                "before": before or gettext("none"), "after": grade or gettext("none"), "reason": reason,
            }

        self._apply(request, queryset, grade_one, done=gettext("%(count)d graded"))

    @admin.action(description=_("Drop the selected enrollments"), permissions=["change"])
    def drop(self, request, queryset):
        override = CONFIRMED in request.POST

        def drop_one(enrollment):
            enrollment_drop(enrollment=enrollment, actor=request.user, via=Via.ADMIN, override_deadline=override)
            return gettext("Dropped after the drop deadline (override).") if override else gettext("Dropped.")

        held = self._apply(request, queryset, drop_one, done=gettext("%(count)d dropped"),
                           overridable=("drop_deadline_passed",))
        if held:
            return self._action_page(
                request, "drop", held, title=gettext("Drop after the deadline?"),
                submit=gettext("Yes, drop them after the deadline"),
                intro=gettext("The drop deadline has passed for these enrollments. Drop them anyway? "
                              "The override is recorded in each enrollment's history."),
            )

    @admin.action(description=_("Withdraw the selected students (grade W)"), permissions=["change"])
    def withdraw(self, request, queryset):
        override = CONFIRMED in request.POST

        def withdraw_one(enrollment):
            enrollment_withdraw(enrollment=enrollment, actor=request.user, via=Via.ADMIN, override_deadline=override)
            if override:
                return gettext("Withdrawn outside the withdrawal period (override).")
            return gettext("Withdrawn.")

        held = self._apply(request, queryset.select_related("course__term"), withdraw_one,
                           done=gettext("%(count)d withdrawn"),
                           overridable=("withdrawal_not_open", "withdraw_deadline_passed"))
        if held:
            return self._action_page(
                request, "withdraw", held, title=gettext("Withdraw outside the withdrawal period?"),
                submit=gettext("Yes, withdraw them with a W"),
                intro=gettext("These enrollments are outside their term's withdrawal period. Withdraw them anyway? "
                              "Each keeps the course on the transcript with a W; the override is recorded in "
                              "its history."),
            )

    @admin.action(description=_("Promote the selected students from the waitlist"), permissions=["change"])
    def promote(self, request, queryset):
        override = CONFIRMED in request.POST

        def promote_one(enrollment):
            enrollment_promote(enrollment=enrollment, actor=request.user, via=Via.ADMIN, override_capacity=override)
            return gettext("Promoted beyond capacity (override).") if override else gettext("Promoted.")

        # Oldest first, so a course's free seats go in waitlist order.
        held = self._apply(request, queryset.order_by("waitlisted_at", "id"), promote_one,
                           done=gettext("%(count)d promoted"), overridable=("course_full",))
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
        write_enrollments_csv(queryset.select_related("student", "course__term"), response)
        return response

    def _apply(self, request, enrollments, change, *, done: str, overridable: tuple[str, ...] = ()) -> list:
        """Call change(enrollment) on each, log and report the results.

        Returns the (enrollment, reason) pairs refused for a reason staff may
        override (an EnrollmentError whose code is in ``overridable``), to ask about.
        """
        changed, refused, held = 0, [], []
        for enrollment in enrollments:
            try:
                log_message = change(enrollment)
            except EnrollmentError as error:
                if error.code in overridable:
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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records kept for reading: the teaching pages (enrollment.teaching) write them, through their services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Permit)
class PermitAdmin(ReadOnlyAdmin):
    list_display = ["student", "course", "waives_display", "valid_until", "issued_by", "via", "issued_at", "used_at"]
    list_select_related = ["student", "course", "issued_by"]
    list_filter = ["via"]
    search_fields = ["student__email", "course__code"]
    search_help_text = _("Student email or course code")

    @admin.display(description=_("waives"))
    def waives_display(self, permit):
        return permit.waives_display()


@admin.register(GradeSheet)
class GradeSheetAdmin(ReadOnlyAdmin):
    list_display = ["course", "saved_at", "saved_by", "submitted_at", "submitted_by"]
    list_select_related = ["course", "saved_by", "submitted_by"]
    search_fields = ["course__code"]
    exclude = ["drafts"]


# --- the enrollments of a course and of a student, on their admin pages -----------


class EnrollmentInline(ReadOnlyInline):
    model = Enrollment
    select_related = ("student", "course__term")  # each row is titled with its student and course
    verbose_name_plural = _("enrollments (change them from the enrollment list, with its actions)")


class CourseEnrollmentInline(EnrollmentInline):
    fields = ["student", "status", "grade", "waitlisted_at"]
    ordering = ["status", "waitlisted_at"]  # grouped by status, the waitlist in its order


class StudentEnrollmentInline(EnrollmentInline):
    fields = ["course", "term", "status", "grade"]

    @admin.display(description=_("term"))
    def term(self, enrollment):
        return enrollment.course.term


admin.site.unregister(Course)


@admin.register(Course)
class CourseAdmin(catalog_admin.CourseAdmin):
    """The catalog's course page, with its enrollments; a larger capacity gives its new seats to the waitlist."""

    fieldsets = [*catalog_admin.CourseAdmin.fieldsets, (_("Enrollments"), {"fields": ["manage_enrollments"]})]
    readonly_fields = [*catalog_admin.CourseAdmin.readonly_fields, "manage_enrollments"]
    inlines = [*catalog_admin.CourseAdmin.inlines, CourseEnrollmentInline]

    @admin.display(description=_("enrollments"))
    def manage_enrollments(self, course):
        if course.pk is None:
            return self.get_empty_value_display()
        url = f"{reverse('admin:enrollment_enrollment_changelist')}?{urlencode({'course__id__exact': course.pk})}"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>', url, _("Drop, promote or grade this course's students"),
            reverse("enrollment:teaching_roster", args=[course.code]), _("Its roster, grade sheet and permits"),
        )

    def save_model(self, request, course, form, change):
        super().save_model(request, course, form, change)
        if change and "capacity" in form.changed_data:
            promoted = course_fill_from_waitlist(course=course, actor=request.user, via=Via.ADMIN)
            for enrollment in promoted:
                self.log_change(request, enrollment, gettext("Promoted from the waitlist: the capacity was raised."))
            if promoted:
                self.message_user(request, ngettext(
                    "%(count)d student was promoted from the waitlist.",
                    "%(count)d students were promoted from the waitlist.",
                    len(promoted),
                ) % {"count": len(promoted)})

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


class OverCreditLimitFilter(admin.SimpleListFilter):
    """Students whose enrolled and waitlisted credits in a term exceed the limit (linked from the admin home)."""

    title = _("over the credit limit in")
    parameter_name = "over_credit_limit"

    def lookups(self, request, model_admin):
        return [(option.slug, option.name) for option in term_options()]

    def queryset(self, request, queryset):
        term = {option.slug: option for option in term_options()}.get(self.value())
        if term is None:
            return queryset
        return queryset.filter(pk__in=students_over_credit_limit(term_id=term.id))


class ActiveHoldFilter(admin.SimpleListFilter):
    """Students with an active hold (linked from the admin home)."""

    title = _("holds")
    parameter_name = "active_hold"

    def lookups(self, request, model_admin):
        return [("yes", _("With an active hold"))]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        return queryset.filter(pk__in=Hold.objects.active().values_list("student_id", flat=True).distinct())


# --- holds: on the user page, from the user list, and their own list -------------------


class HoldInline(admin.TabularInline):
    """A student's holds, active first: new rows place one, ticking "Lift" lifts one (enrollment.holds)."""

    model = Hold
    fk_name = "student"
    form = HoldInlineForm
    fields = ["kind", "reason", "placed_at", "placed_by", "lifted_at", "lifted_by", "lift"]
    readonly_fields = ["placed_at", "placed_by", "lifted_at", "lifted_by"]
    ordering = ["lifted_at", "-placed_at"]  # null first: the active ones
    extra = 0
    can_delete = False
    verbose_name_plural = _("holds (an active one stops new enrollments and waitlist places)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("kind", "placed_by", "lifted_by")


def save_holds(request, student, formset) -> None:
    """Place the new holds and lift the ticked ones, through the services, for the admin's change message."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.forms:
        if not form.has_changed():
            continue
        if form.instance.pk is None:
            hold, _created = hold_place(student=student, kind=form.cleaned_data["kind"],
                                        reason=form.cleaned_data["reason"], actor=request.user, via=Via.ADMIN)
            formset.new_objects.append(hold)
        elif form.cleaned_data.get("lift"):
            try:
                hold_lift(hold=form.instance, actor=request.user)
            except HoldAlreadyLifted as error:
                messages.warning(request, error.message)
            else:
                formset.changed_objects.append((form.instance, ["lift"]))


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(ConfirmingActions, accounts_admin.UserAdmin):
    """The accounts user page, with the student's holds and enrollments; a student with active enrollments
    is not deleted. Holds are placed on and lifted from many students at once from the list."""

    inlines = [*accounts_admin.UserAdmin.inlines, HoldInline, StudentEnrollmentInline]
    list_filter = [*accounts_admin.UserAdmin.list_filter, OverCreditLimitFilter, ActiveHoldFilter]
    actions = ["place_hold", "lift_holds"]

    def get_deleted_objects(self, objs, request):
        deletion = super().get_deleted_objects(objs, request)
        return protect_active_enrollments(deletion, Enrollment.objects.filter(student__in=[u.pk for u in objs]))

    def save_formset(self, request, form, formset, change):
        if formset.model is Hold:
            save_holds(request, form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)

    def has_place_hold_permission(self, request):
        return request.user.has_perm("enrollment.add_hold")

    def has_lift_hold_permission(self, request):
        return request.user.has_perm("enrollment.change_hold")

    @admin.action(description=_("Place a hold on the selected users…"), permissions=["place_hold"])
    def place_hold(self, request, queryset):
        form = HoldForm(request.POST if CONFIRMED in request.POST else None)
        if not form.is_valid():
            return self._action_page(
                request, "place_hold", [(user, "") for user in queryset], form=form,
                title=gettext("Place a hold"), submit=gettext("Place the hold"),
                intro=gettext("Each user below gets the hold; one who already has an active hold of the kind keeps "
                              "it, with this reason. The reason is shown to the student."),
            )
        kind, reason = form.cleaned_data["kind"], form.cleaned_data["reason"]
        placed = 0
        for user in queryset:
            _hold, created = hold_place(student=user, kind=kind, reason=reason, actor=request.user, via=Via.ADMIN)
            placed += created
            self.log_change(request, user, gettext("Placed a %(kind)s hold.") % {"kind": kind})
        self.message_user(request, gettext("%(placed)d placed, %(kept)d already held (reason updated).") % {
            "placed": placed, "kept": len(queryset) - placed,
        })

    @admin.action(description=_("Lift a kind of hold from the selected users…"), permissions=["lift_hold"])
    def lift_holds(self, request, queryset):
        form = HoldKindChoiceForm(request.POST if CONFIRMED in request.POST else None)
        if not form.is_valid():
            return self._action_page(
                request, "lift_holds", [(user, "") for user in queryset], form=form,
                title=gettext("Lift holds"), submit=gettext("Lift them"),
                intro=gettext("The active hold of the kind chosen is lifted from each user below who has one."),
            )
        kind = form.cleaned_data["kind"]
        holds = Hold.objects.active().filter(kind=kind, student__in=[user.pk for user in queryset])
        lifted = 0
        for hold in holds.select_related("kind", "student"):
            try:
                hold_lift(hold=hold, actor=request.user)
            except HoldAlreadyLifted:
                continue
            lifted += 1
            self.log_change(request, hold.student, gettext("Lifted a %(kind)s hold.") % {"kind": kind})
        self.message_user(request, ngettext("%(count)d hold lifted.", "%(count)d holds lifted.", lifted)
                          % {"count": lifted})


@admin.register(HoldKind)
class HoldKindAdmin(admin.ModelAdmin):
    """The kinds of hold the registrar maintains; a kind some hold names cannot be deleted (PROTECT)."""

    list_display = ["name", "code", "office"]
    search_fields = ["name", "code"]


class HoldStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("Active")), ("lifted", _("Lifted"))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.active()
        if self.value() == "lifted":
            return queryset.exclude(lifted_at=None)
        return queryset


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    """Every hold, to find and lift; holds are placed from the user pages and list, files and the API."""

    list_display = ["student", "kind", "reason", "placed_at", "placed_by", "placed_via", "lifted_at", "lifted_by"]
    list_select_related = ["student", "kind", "placed_by", "lifted_by"]
    list_filter = [HoldStateFilter, "kind", "placed_via"]
    search_fields = ["student__email", "student__last_name"]
    search_help_text = _("Student email or last name")
    readonly_fields = ["student", "kind", "reason", "placed_at", "placed_by", "placed_via", "lifted_at", "lifted_by"]
    actions = ["lift"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # A hold's page is for reading: lifting is the action, which needs the change permission.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        # A lifted hold stays, as the record of who lifted it.
        return False

    @admin.action(description=_("Lift the selected holds"), permissions=["change"])
    def lift(self, request, queryset):
        lifted, already = 0, 0
        for hold in queryset.select_related("kind", "student"):
            try:
                hold_lift(hold=hold, actor=request.user)
            except HoldAlreadyLifted:
                already += 1
            else:
                lifted += 1
                self.log_change(request, hold, gettext("Lifted."))
        message = ngettext("%(count)d hold lifted", "%(count)d holds lifted", lifted) % {"count": lifted}
        if already:
            message += gettext("; %(count)d already lifted") % {"count": already}
        self.message_user(request, message + ".")


# --- a term's registration appointments ----------------------------------------------


class AppointmentGroupInline(admin.TabularInline):
    model = AppointmentGroup
    formset = AppointmentGroupFormSet
    fields = ["min_credits", "opens_at"]
    extra = 0
    verbose_name_plural = _("registration appointments (without any, everyone registers when enrollment opens)")


admin.site.unregister(Term)


@admin.register(Term)
class TermAdmin(catalog_admin.TermAdmin):
    """The catalog's term page, with its registration appointment groups and how many students fall in each."""

    fieldsets = [
        *catalog_admin.TermAdmin.fieldsets,
        (_("Registration appointments"), {"fields": ["appointment_students"]}),
    ]
    readonly_fields = ["appointment_students"]
    inlines = [*catalog_admin.TermAdmin.inlines, AppointmentGroupInline]

    @admin.display(description=_("students per group"))
    def appointment_students(self, term):
        counts = students_per_group(term) if term.pk else []
        if not counts:
            return _("No groups: everyone registers when enrollment opens. Add groups below.")
        return format_html_join(
            "", "<p>{} earned credits or more, from {}: {}</p>",
            ((group.min_credits, date_format(timezone.localtime(group.opens_at), "DATETIME_FORMAT"),
              ngettext("%(count)d student", "%(count)d students", count) % {"count": count})
             for group, count in counts),
        )
