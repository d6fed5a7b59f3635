"""The rules a permit may waive, and the eligibility reasons each one lifts."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Waiver(models.TextChoices):
    PREREQUISITES = "prerequisites", _("Prerequisites")
    CAPACITY = "capacity", _("Capacity (a seat beyond it)")
    SCHEDULE = "schedule", _("Schedule clash")
    WINDOW = "window", _("Enrollment window")


# Never the credit limit, or being enrolled already: no permit lifts those.
WAIVED_REASONS = {
    Waiver.PREREQUISITES: {"prerequisite_missing"},
    Waiver.CAPACITY: {"course_full"},
    Waiver.SCHEDULE: {"schedule_conflict"},
    # The window includes the student's own opening within it (a registration appointment).
    Waiver.WINDOW: {"enrollment_not_open", "enrollment_closed", "registration_appointment"},
}


def waived_reason_codes(waivers) -> set[str]:
    return {code for waiver in waivers for code in WAIVED_REASONS.get(waiver, ())}
