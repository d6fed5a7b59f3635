"""The forms of the teaching pages: a grade sheet and a permit."""

import datetime
from typing import NamedTuple

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .grades import Grade
from .waivers import Waiver

GRADE_CHOICES = [("", "—"), *Grade.choices]


class SheetRow(NamedTuple):
    enrollment: object
    draft: str
    field: object
    seen: object


class GradeSheetForm(forms.Form):
    """One select per student the sheet grades, and a hidden copy of what the page showed for it.

    The copy lets grade_sheet_save tell a row changed by someone else since
    the page was read from one this instructor changed.
    """

    def __init__(self, *args, page, **kwargs):
        super().__init__(*args, **kwargs)
        self.page = page
        for enrollment in page.gradable:
            key, draft = str(enrollment.pk), page.draft_of(enrollment)
            student = enrollment.student
            self.fields[f"grade-{key}"] = forms.ChoiceField(
                label=_("Grade for %(name)s") % {"name": student.get_full_name() or student.email},
                choices=GRADE_CHOICES, required=False, initial=draft,
            )
            self.fields[f"seen-{key}"] = forms.ChoiceField(
                choices=GRADE_CHOICES, required=False, initial=draft, widget=forms.HiddenInput,
            )

    def rows(self) -> list[SheetRow]:
        """Every enrolled student, by name; the fields only for those the sheet grades."""
        rows = []
        for enrollment in self.page.enrollments:
            key = f"-{enrollment.pk}"
            graded = f"grade{key}" in self.fields
            rows.append(SheetRow(enrollment, self.page.draft_of(enrollment),
                                 self[f"grade{key}"] if graded else None, self[f"seen{key}"] if graded else None))
        return rows

    def grades(self) -> dict[str, str]:
        return {name.removeprefix("grade-"): value for name, value in self.cleaned_data.items()
                if name.startswith("grade-")}

    def seen(self) -> dict[str, str]:
        return {name.removeprefix("seen-"): value for name, value in self.cleaned_data.items()
                if name.startswith("seen-")}


class PermitForm(forms.Form):
    student = forms.CharField(
        label=_("Student"), max_length=254, help_text=_("Their email address or student number."),
    )
    waives = forms.MultipleChoiceField(
        label=_("Rules to waive"), choices=Waiver.choices, widget=forms.CheckboxSelectMultiple,
    )
    valid_until = forms.DateField(
        label=_("Valid until"), help_text=_("The last day the student can use it."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, term, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["valid_until"].initial = min(today + datetime.timedelta(days=7), term.ends_on)

    def clean_student(self):
        value = self.cleaned_data["student"].strip()
        users = get_user_model().objects
        found = (users.filter(student_number=int(value)) if value.isdigit() and len(value) < 10
                 else users.filter(email=value.lower())).first()
        if found is None:
            raise ValidationError(_("No student has that email address or student number."))
        return found
