from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .eligibility import enrollment_eligibility
from .grades import Grade
from .models import Enrollment

# The grade form's value for "take the grade away" (the service's empty grade).
NO_GRADE = "none"


class EnrollmentAddForm(forms.ModelForm):
    """Who to enroll where: every reason that stands in the way is a form error.

    The enrollment itself is written by enrollment_create (EnrollmentAdmin.save_model),
    which decides whether the student gets a seat or a place on the waitlist.
    """

    override_capacity = forms.BooleanField(
        label=_("Override capacity"),
        required=False,
        help_text=_(
            "Give a seat even if the course is full; the override is recorded in the enrollment's history. "
            "Otherwise a full course puts the student on its waitlist."
        ),
    )

    class Meta:
        model = Enrollment
        fields = ["student", "course"]

    def clean(self):
        cleaned_data = super().clean()
        student, course = cleaned_data.get("student"), cleaned_data.get("course")
        if student and course:
            blocking = enrollment_eligibility(student=student, course=course).blocking_reasons
            if blocking:
                raise ValidationError([reason.message for reason in blocking])
        return cleaned_data

    def validate_constraints(self):
        # One enrollment per student and course: eligibility refuses a second
        # active one, and enrollment_create reuses a dropped one, which this
        # check would refuse.
        pass


class GradeForm(forms.Form):
    grade = forms.ChoiceField(
        label=_("Grade"),
        choices=[("", "---------"), *Grade.choices, (NO_GRADE, _("No grade (take it away)"))],
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=200,
        help_text=_("Why the grade is set or changed: kept in each enrollment's history with the old and new grade."),
    )

    def clean_grade(self):
        grade = self.cleaned_data["grade"]
        return "" if grade == NO_GRADE else grade
