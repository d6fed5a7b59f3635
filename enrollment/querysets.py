from django.db import models


class EnrollmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=["enrolled", "waitlisted"])

    def enrolled(self):
        return self.filter(status="enrolled")

    def waitlisted(self):
        return self.filter(status="waitlisted")

    def in_waitlist_order(self):
        return self.waitlisted().order_by("waitlisted_at", "id")

    def with_course(self):
        return self.select_related("course", "course__term")
