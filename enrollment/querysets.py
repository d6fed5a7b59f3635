from django.db import models

from .status import ACTIVE_STATUSES, Status


class EnrollmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def waitlisted(self):
        return self.filter(status=Status.WAITLISTED)

    def in_waitlist_order(self):
        return self.waitlisted().order_by("waitlisted_at", "id")

    def with_course(self):
        return self.select_related("course", "course__term")
