from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .eligibility import enrollment_eligibility
from .grades import Grade
from .models import Enrollment, Hold, HoldKind

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
        # A W comes with a withdrawal (the Withdraw action), never alone.
        choices=[("", "---------"), *[c for c in Grade.choices if c[0] != Grade.WITHDRAWN],
                 (NO_GRADE, _("No grade (take it away)"))],
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=200,
        help_text=_("Why the grade is set or changed: kept in each enrollment's history with the old and new grade."),
    )

    def clean_grade(self):
        grade = self.cleaned_data["grade"]
        return "" if grade == NO_GRADE else grade


class HoldForm(forms.ModelForm):
    """A hold's kind and reason, as staff give them on a user's page, from the user list, in a file or the API.

    Who it is on comes from the page, the file's row or the request; the
    model's clean refuses a second active hold of a kind.
    """

    class Meta:
        model = Hold
        fields = ["kind", "reason"]


class HoldInlineForm(HoldForm):
    """A row of the user page's holds: a new hold to place, or an active one to lift."""

    lift = forms.BooleanField(label=_("Lift"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # A placed hold is lifted, never rewritten: its history is what the student was told.
            self.fields["kind"].disabled = self.fields["reason"].disabled = True
            self.fields["lift"].disabled = not self.instance.is_active
        else:
            self.fields["lift"].disabled = True


class HoldKindChoiceForm(forms.Form):
    kind = forms.ModelChoiceField(label=_("Kind"), queryset=HoldKind.objects.all())


class AppointmentGroupFormSet(forms.BaseInlineFormSet):
    """A term's appointment groups: everyone has one, and more credits never open later."""

    def clean(self):
        super().clean()
        # Rows with errors of their own are reported on them; these rules weigh the valid ones kept.
        groups = [
            form.cleaned_data for form in self.forms
            if not form.cleaned_data.get("DELETE") and {"min_credits", "opens_at"} <= form.cleaned_data.keys()
        ]
        if not groups:
            return
        if not any(group["min_credits"] == 0 for group in groups):
            raise ValidationError(_("Add a group from 0 earned credits: it says when everyone else may register."))
        ordered = sorted(groups, key=lambda group: group["min_credits"])
        for fewer, more in zip(ordered, ordered[1:], strict=False):
            if more["opens_at"] > fewer["opens_at"]:
                raise ValidationError(
                    _("Students with %(more)d earned credits cannot open later than those with %(fewer)d.")
                    % {"more": more["min_credits"], "fewer": fewer["min_credits"]}
                )
