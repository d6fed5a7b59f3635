"""An enrollment's states, and which of them hold a seat or a place on a waitlist."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    WAITLISTED = "waitlisted", _("Waitlisted")
    DROPPED = "dropped", _("Dropped")


# Counted in a course's seat counters and in a student's schedule and credits.
ACTIVE_STATUSES = (Status.ENROLLED, Status.WAITLISTED)
