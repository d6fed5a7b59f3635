from django.db import models

from .status import ACTIVE_STATUSES, Status


class EnrollmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def waitlisted(self):
        return self.filter(status=Status.WAITLISTED)

    def deletable_with_course(self):
        """Dropped and ungraded: nothing a deleted course would take from anyone."""
        return self.filter(status="dropped", grade="")

    def keeping_course(self):
        """Enrolled, waitlisted or graded: what stops a course from being deleted."""
        return self.exclude(status="dropped", grade="")

    def in_waitlist_order(self):
        return self.waitlisted().order_by("waitlisted_at", "id")

    def with_course(self):
        return self.select_related("course", "course__term")


class HoldQuerySet(models.QuerySet):
    def active(self):
        return self.filter(lifted_at=None)
