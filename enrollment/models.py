from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_mongodb_backend.fields import ArrayField

from catalog.models import Course, Term

from .grades import Grade
from .querysets import EnrollmentQuerySet, HoldQuerySet
from .status import ACTIVE_STATUSES, Status
from .waivers import Waiver


class Via(models.TextChoices):
    PAGE = "page", _("Student pages")
    ADMIN = "admin", _("Admin")
    API = "api", _("API")
    COMMAND = "command", _("Command")
    TEACHING = "teaching", _("Teaching pages")


class Enrollment(models.Model):
    """A student's place in a course: one document per (student, course).

    Dropping keeps the document (status "dropped") and enrolling again
    reuses it, so a plain unique index on (student, course) is what forbids
    two active enrollments, even under concurrent requests.
    """

    # No index of their own: the unique (student, course) index and the
    # (course, status, waitlisted_at) one lead with them, and every index is
    # one more entry to write per enrollment.
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("student"),
        db_index=False,
    )
    # A course with enrolled, waitlisted or graded students cannot be deleted:
    # their history would go with it (enrollment.services.course_delete).
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("course"), db_index=False
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    grade = models.CharField(_("grade"), max_length=2, choices=Grade.choices, blank=True)
    # When the student last joined the waitlist: its order is arrival order.
    waitlisted_at = models.DateTimeField(_("waitlisted at"), null=True, blank=True)
    # Why the student was passed over for a free seat (a clash or the credit
    # limit found when the seat came up); they keep their place in line.
    waitlist_note = models.CharField(_("waitlist note"), max_length=300, blank=True, editable=False)
    # The registration lock (RegistrationLock.holder) of the change that
    # wrote this enrollment last: seeing it here tells the student's next
    # change that this one is finished, so the lock needs no release write.
    lock_token = models.CharField(max_length=32, blank=True, editable=False)
    # The permit the student enrolled (or joined the waitlist) with: the rules
    # it waived still hold for this enrollment when a waitlist seat comes up.
    # Never looked up by: no index.
    permit = models.ForeignKey(
        "Permit", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False,
        verbose_name=_("permit"), db_index=False,
    )
    # A swap (enrollment.swaps): the student's enrollment this one replaces,
    # dropped when this one gets its seat. Set while waiting for the seat,
    # and for the moment between taking it and dropping the other. No index:
    # only check_db and a deleted course's enrollments look it up.
    swap_for = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False, editable=False,
        verbose_name=_("swap for"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        # Newest first, and total (the id breaks ties) so that pages never overlap;
        # the index below serves this order, which the admin's list sorts by.
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["student", "course"], name="one_enrollment_per_student_course"),
        ]
        indexes = [
            models.Index(fields=["course", "status", "waitlisted_at"], name="enrollment_course_waitlist"),
            models.Index(fields=["student", "status"], name="enrollment_student_status"),
            models.Index(fields=["status", "grade"], name="enrollment_status_grade"),
            models.Index(fields=["-created_at", "-id"], name="enrollment_newest"),
        ]

    def __str__(self):
        return f"{self.student} – {self.course.code} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("catalog:course_detail", args=[self.course.code])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_waiting_swap(self) -> bool:
        """On a waitlist to replace swap_for: until promoted it weighs nothing in the student's term."""
        return self.status == Status.WAITLISTED and self.swap_for_id is not None


class EnrollmentEvent(models.Model):
    """One change of an enrollment's state: who, when, from what, to what, how."""

    # Indexed by the (enrollment, created_at) index below, which leads with it.
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="events", db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("by"),
    )
    from_status = models.CharField(_("from"), max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=Status.choices)
    # A grade change: what the grade was and became (the note says why).
    from_grade = models.CharField(_("grade from"), max_length=2, choices=Grade.choices, blank=True)
    to_grade = models.CharField(_("grade to"), max_length=2, choices=Grade.choices, blank=True)
    via = models.CharField(_("via"), max_length=10, choices=Via.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrollment event")
        verbose_name_plural = _("enrollment events")
        ordering = ["created_at"]
        indexes = [models.Index(fields=["enrollment", "created_at"], name="event_enrollment_created")]

    def __str__(self):
        grade = ""
        if self.from_grade or self.to_grade:
            grade = f", grade {self.from_grade or '—'} → {self.to_grade or '—'}"
        return f"{self.from_status or '—'} → {self.to_status}{grade} via {self.via}"


class RegistrationLock(models.Model):
    """One student's registration lock for one term (enrollment.locks).

    Changes that must see the student's term as a whole (the credit limit,
    schedule clashes) take it with one conditional write, so two of them
    never run at once; it expires, so a crashed request cannot keep it.
    """

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="+", db_index=False)
    holder = models.CharField(max_length=32)
    locked_until = models.DateTimeField()

    class Meta:
        verbose_name = _("registration lock")
        verbose_name_plural = _("registration locks")
        constraints = [models.UniqueConstraint(fields=["student", "term"], name="one_registration_lock_per_term")]

    def __str__(self):
        return f"{self.student_id} {self.term_id} until {self.locked_until:%H:%M:%S}"


class GradeSheet(models.Model):
    """An instructor's grades for one course (enrollment.grade_sheets).

    Drafts, saved any number of times, live here and nowhere else: a
    student sees a grade once the sheet is submitted and it is written on
    their enrollment. Every save is one conditional update on ``version``.
    """

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="grade_sheet",
                                  verbose_name=_("course"))
    # {enrollment id: grade} for the enrolled students graded so far.
    drafts = models.JSONField(_("drafts"), default=dict, blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)
    saved_at = models.DateTimeField(_("saved at"), null=True, blank=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("saved by"), db_index=False,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("submitted by"), db_index=False,
    )

    class Meta:
        verbose_name = _("grade sheet")
        verbose_name_plural = _("grade sheets")

    def __str__(self):
        return f"{self.course} grade sheet"

    def get_absolute_url(self):
        return reverse("enrollment:teaching_grades", args=[self.course.code])


class Permit(models.Model):
    """Leave for one student to enroll in one course past chosen rules, from an instructor or registrar.

    Used once: ``used_at`` is set by the enrollment that used it, with one
    conditional update. The newest permit of a student for a course is the
    one that counts (enrollment.permits).
    """

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="permits", verbose_name=_("student"),
        db_index=False,
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="permits", verbose_name=_("course"),
                               db_index=False)
    waives = ArrayField(models.CharField(max_length=16, choices=Waiver.choices), verbose_name=_("waives"))
    valid_until = models.DateField(_("valid until"), help_text=_("The last day it can be used."))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("issued by"),
        db_index=False,
    )
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    via = models.CharField(_("via"), max_length=10, choices=Via.choices)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("permit")
        verbose_name_plural = _("permits")
        ordering = ["-issued_at"]
        indexes = [
            models.Index(fields=["student", "course", "-issued_at"], name="permit_student_course"),
            models.Index(fields=["course", "-issued_at"], name="permit_course"),
        ]

    def __str__(self):
        return f"Permit for {self.student} in {self.course}"

    def waives_display(self) -> str:
        labels = dict(Waiver.choices)
        return ", ".join(str(labels.get(waiver, waiver)) for waiver in self.waives)


class HoldKind(models.Model):
    """A kind of hold, from the list the registrar maintains, and the office a held student contacts."""

    code = models.SlugField(
        _("code"), max_length=30, unique=True, help_text=_("Names the kind in import files and the API, e.g. bursar.")
    )
    name = models.CharField(_("name"), max_length=60, help_text=_("e.g. Bursar"))
    office = models.CharField(
        _("office to contact"), max_length=200,
        help_text=_("Told to held students, e.g. “the Bursar's Office (bursar@example.edu, Hall B 12)”."),
    )

    class Meta:
        verbose_name = _("hold kind")
        verbose_name_plural = _("hold kinds")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Hold(models.Model):
    """Something the student must settle with an office before registering again.

    An active hold (not lifted) stops new enrollments and waitlist places,
    never a drop or a withdrawal (enrollment.holds). Lifting keeps the
    document, with who lifted it and when.
    """

    # Indexed by the unique (student, kind, lifted_at) index, which leads with it.
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="holds", verbose_name=_("student"),
        db_index=False,
    )
    kind = models.ForeignKey(HoldKind, on_delete=models.PROTECT, related_name="holds", verbose_name=_("kind"))
    reason = models.CharField(_("reason"), max_length=300, help_text=_("Shown to the student."))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("placed by"), editable=False,
    )
    placed_at = models.DateTimeField(_("placed at"), editable=False)
    placed_via = models.CharField(_("placed via"), max_length=10, choices=Via.choices, editable=False)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("lifted by"), editable=False,
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True, editable=False)

    objects = HoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        ordering = ["-placed_at"]
        constraints = [
            # One active hold per student and kind, even when two files or
            # staff place it at once: nulls are equal here, as in MongoDB's own
            # unique indexes, so a second active hold (lifted_at null) is
            # refused; lifted ones differ by when they were lifted.
            models.UniqueConstraint(
                fields=["student", "kind", "lifted_at"], nulls_distinct=False, name="one_active_hold_per_kind"
            ),
        ]

    def __str__(self):
        return f"{self.kind} hold on {self.student}"

    def clean(self):
        super().clean()
        if self.lifted_at is None and self.student_id and self.kind_id:
            others = Hold.objects.active().filter(student_id=self.student_id, kind_id=self.kind_id).exclude(pk=self.pk)
            if others.exists():
                raise ValidationError({"kind": _("%(student)s already has an active %(kind)s hold.") % {
                    "student": self.student, "kind": self.kind,
                }})

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class AppointmentGroup(models.Model):
    """A registration appointment: when students with at least so many earned credits may register for a term.

    Earned credits are the credits of passed, graded courses
    (enrollment.appointments). A student belongs to the group with the
    highest minimum they reach.
    """

    # Indexed by the unique (term, min_credits) index, which leads with it.
    term = models.ForeignKey(
        Term, on_delete=models.CASCADE, related_name="appointment_groups", verbose_name=_("term"), db_index=False
    )
    min_credits = models.PositiveSmallIntegerField(
        _("earned credits at least"), help_text=_("0 for everyone else.")
    )
    opens_at = models.DateTimeField(_("registration opens at"))

    class Meta:
        verbose_name = _("registration appointment group")
        verbose_name_plural = _("registration appointment groups")
        ordering = ["-min_credits"]
        constraints = [
            models.UniqueConstraint(fields=["term", "min_credits"], name="one_appointment_group_per_minimum"),
        ]

    def __str__(self):
        return f"{self.term}: {self.min_credits}+ earned credits"

    def clean(self):
        super().clean()
        term = self.term if self.term_id else None
        if term is None or self.opens_at is None:
            return
        if not term.enrollment_opens_at <= self.opens_at < term.enrollment_closes_at:
            raise ValidationError({"opens_at": _("Give a time while enrollment for the term is open.")})
