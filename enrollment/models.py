from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalog.models import Course, Term

from .grades import Grade
from .querysets import EnrollmentQuerySet
from .status import ACTIVE_STATUSES, Status


class Via(models.TextChoices):
    PAGE = "page", _("Student pages")
    ADMIN = "admin", _("Admin")
    API = "api", _("API")
    COMMAND = "command", _("Command")


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
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["student", "course"], name="one_enrollment_per_student_course"),
        ]
        indexes = [
            models.Index(fields=["course", "status", "waitlisted_at"], name="enrollment_course_waitlist"),
            models.Index(fields=["student", "status"], name="enrollment_student_status"),
            models.Index(fields=["status", "grade"], name="enrollment_status_grade"),
            models.Index(fields=["-created_at"], name="enrollment_created"),
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
    via = models.CharField(_("via"), max_length=10, choices=Via.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrollment event")
        verbose_name_plural = _("enrollment events")
        ordering = ["created_at"]
        indexes = [models.Index(fields=["enrollment", "created_at"], name="event_enrollment_created")]

    def __str__(self):
        return f"{self.from_status or '—'} → {self.to_status} via {self.via}"


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
