"""Holds from the bursar's nightly file (``import_holds``) or one API request: plan every row, then place them.

The shape of catalog.importing: every row is validated (by the admin's own
HoldForm, with the student found by email or student number) before
anything is written, and each problem is reported with its line and field.
A row whose student already has an active hold of its kind updates that
hold's reason, or changes nothing; placing goes through enrollment.holds,
so two imports of one file at once still leave one hold per kind.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import User
from catalog.importing import Plan, Row, RowError

from .admin_forms import HoldForm
from .holds import hold_place
from .models import Hold, HoldKind, Via

REQUIRED_COLUMNS = ["student", "kind", "reason"]
# Student numbers are stored as 32-bit integers: a longer number is nobody's.
MAX_STUDENT_NUMBER = 2**31 - 1


def student_key(value) -> tuple[str, object]:
    """How a file names a student: ("number", 123) for digits, else ("email", the address in lower case)."""
    text = str(value).strip()
    if text.isdigit():
        return "number", int(text)
    return "email", text.lower()


def students_by_key(values) -> dict:
    """{student_key: User} for every email and student number among values: one query."""
    keys = [student_key(value) for value in values]
    emails = [value for kind, value in keys if kind == "email" and value]
    numbers = [value for kind, value in keys if kind == "number" and value <= MAX_STUDENT_NUMBER]
    found = {}
    for user in User.objects.filter(Q(email__in=emails) | Q(student_number__in=numbers)):
        found["email", user.email] = found["number", user.student_number] = user
    return found


class HoldRowForm(HoldForm):
    """One row: a student (email or number), a hold kind's code and the reason the student is shown."""

    student = forms.CharField(max_length=254)
    kind = forms.ModelChoiceField(
        queryset=HoldKind.objects.all(),
        to_field_name="code",
        error_messages={"invalid_choice": "no hold kind “%(value)s”; give a kind's code, e.g. bursar"},
    )

    class Meta(HoldForm.Meta):
        fields = ["student", "kind", "reason"]

    def __init__(self, *args, students: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.students = students

    def clean_student(self):
        value = self.cleaned_data["student"]
        kind, key = student_key(value)
        user = self.students.get((kind, key))
        if user is None:
            what = "student number" if kind == "number" else "email address"
            raise ValidationError(f"no student with the {what} “{value}”")
        return user


def plan_holds(rows: list[Row]) -> Plan:
    """What placing rows would do: holds to place, reasons to update, rows already in force, every error."""
    plan = Plan()
    students = students_by_key(row.data.get("student", "") for row in rows)
    kinds = {kind.code: kind for kind in HoldKind.objects.all()}
    active = {
        (hold.student_id, hold.kind_id): hold
        for hold in Hold.objects.active().filter(student__in={user.pk for user in students.values()})
    }
    seen = {}
    for row in rows:
        student = students.get(student_key(row.data.get("student", "")))
        kind = kinds.get(row.data.get("kind", "").strip())
        instance = active.get((student.pk, kind.pk)) if student and kind else None
        reason_in_force = instance.reason if instance else None
        form = HoldRowForm(row.data, instance=instance, students=students)
        if not form.is_valid():
            for name, messages in form.errors.items():
                plan.errors.extend(RowError(row.line, name if name != "__all__" else "row", m) for m in messages)
            continue
        pair = (student.pk, kind.pk)
        if pair in seen:
            plan.errors.append(
                RowError(row.line, "kind", f"{student.email}'s {kind.code} hold is on line {seen[pair]}")
            )
            continue
        seen[pair] = row.line
        if instance is None:
            plan.create.append(form)
        else:
            (plan.update if form.cleaned_data["reason"] != reason_in_force else plan.unchanged).append(form)
    return plan


def apply_holds(plan: Plan, *, actor=None, via: str = Via.COMMAND) -> list[Hold]:
    """Place every hold the plan creates or updates."""
    return [
        hold_place(student=form.cleaned_data["student"], kind=form.cleaned_data["kind"],
                   reason=form.cleaned_data["reason"], actor=actor, via=via)[0]
        for form in [*plan.create, *plan.update]
    ]
