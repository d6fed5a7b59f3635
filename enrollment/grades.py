"""Letter grades and the grade points behind a GPA."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Grade(models.TextChoices):
    A = "A", "A"
    A_MINUS = "A-", "A-"
    B_PLUS = "B+", "B+"
    B = "B", "B"
    B_MINUS = "B-", "B-"
    C_PLUS = "C+", "C+"
    C = "C", "C"
    C_MINUS = "C-", "C-"
    D_PLUS = "D+", "D+"
    D = "D", "D"
    D_MINUS = "D-", "D-"
    F = "F", "F"
    WITHDRAWN = "W", _("W (withdrawn)")
    INCOMPLETE = "I", _("I (incomplete)")
    PASS = "P", _("P (pass)")


GRADE_POINTS = {
    Grade.A: Decimal("4.0"), Grade.A_MINUS: Decimal("3.7"),
    Grade.B_PLUS: Decimal("3.3"), Grade.B: Decimal("3.0"), Grade.B_MINUS: Decimal("2.7"),
    Grade.C_PLUS: Decimal("2.3"), Grade.C: Decimal("2.0"), Grade.C_MINUS: Decimal("1.7"),
    Grade.D_PLUS: Decimal("1.3"), Grade.D: Decimal("1.0"), Grade.D_MINUS: Decimal("0.7"),
    Grade.F: Decimal("0.0"),
}
# W, I and P carry no grade points; P still completes a prerequisite.
PASSING_GRADES = frozenset(GRADE_POINTS) - {Grade.F} | {Grade.PASS}


def grade_point_average(graded: list[tuple[str, int]]) -> Decimal | None:
    """The credit-weighted GPA of (grade, credits) pairs, or None without any."""
    points = Decimal(0)
    credits = 0
    for grade, course_credits in graded:
        if grade in GRADE_POINTS:
            points += GRADE_POINTS[grade] * course_credits
            credits += course_credits
    if not credits:
        return None
    return (points / credits).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
