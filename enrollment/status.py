"""An enrollment's states, and which of them hold a seat or a place on a waitlist.

A withdrawn enrollment (left after the drop deadline) holds nothing: it
stays on the transcript with a W, counts for no credits and not in a GPA.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    WAITLISTED = "waitlisted", _("Waitlisted")
    DROPPED = "dropped", _("Dropped")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Counted in a course's seat counters and in a student's schedule and credits.
ACTIVE_STATUSES = (Status.ENROLLED, Status.WAITLISTED)
