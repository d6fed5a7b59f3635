from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.translation import gettext_lazy as _

from catalog.models import Course

from .grades import Grade
from .models import Enrollment

# The grade form's value for "take the grade away" (the service's empty grade).
NO_GRADE = "none"


class EnrollmentAddForm(forms.Form):
    """Who to enroll where; enrollment.services decides whether they may, and whether they get a seat."""

    override_capacity = forms.BooleanField(
        label=_("Override capacity"),
        required=False,
        help_text=_(
            "Give a seat even if the course is full; the override is recorded in the enrollment's history. "
            "Otherwise a full course puts the student on its waitlist."
        ),
    )

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        # Schools have thousands of students: search them instead of listing them all.
        student, course = (Enrollment._meta.get_field(name) for name in ("student", "course"))
        self.fields = {
            "student": student.formfield(widget=AutocompleteSelect(student, admin_site)),
            "course": course.formfield(
                queryset=Course.objects.with_term(), widget=AutocompleteSelect(course, admin_site)
            ),
            **self.fields,
        }


class GradeForm(forms.Form):
    grade = forms.ChoiceField(
        label=_("Grade"),
        choices=[("", "---------"), *Grade.choices, (NO_GRADE, _("No grade (take it away)"))],
    )

    def clean_grade(self):
        grade = self.cleaned_data["grade"]
        return "" if grade == NO_GRADE else grade
