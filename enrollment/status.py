"""An enrollment's states, which of them hold a seat or a place on a waitlist, and how a student leaves one.

A withdrawn enrollment (left after the drop deadline) holds nothing: it
stays on the transcript with a W, counts for no credits and not in a GPA.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    WAITLISTED = "waitlisted", _("Waitlisted")
    DROPPED = "dropped", _("Dropped")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Counted in a course's seat counters and in a student's schedule and credits.
ACTIVE_STATUSES = (Status.ENROLLED, Status.WAITLISTED)


def leave_option(enrollment, now=None) -> str:
    """How the student may leave an enrollment now, as the services decide it.

    "leave_waitlist"; "drop" before the term's drop deadline; "withdraw"
    until its withdrawal deadline; "ask_registrar" after that (only staff
    may then withdraw them); "" for an enrollment there is nothing to leave
    (dropped, withdrawn or graded).
    """
    return leave_option_of(enrollment.status, enrollment.grade, enrollment.course.term, now)


def leave_option_of(status: str, grade: str, term, now=None) -> str:
    """``leave_option`` from an enrollment's status and grade and its course's term (a row of values will do)."""
    if status == Status.WAITLISTED:
        return "leave_waitlist"
    if status != Status.ENROLLED or grade:
        return ""
    now = now or timezone.now()
    if term.is_drop_open(now):
        return "drop"
    return "withdraw" if term.is_withdraw_open(now) else "ask_registrar"
