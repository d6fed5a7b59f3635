from collections.abc import Sequence

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import MAX_CREDITS, MIN_CREDITS
from .selectors import TermOption

ORDERINGS = {
    "code": ("code",),
    "title": ("title", "code"),
    "credits": ("credits", "code"),
    "-credits": ("-credits", "code"),
    "instructor": ("instructor", "code"),
}


class CourseFilterForm(forms.Form):
    """The catalog's search box and filters; every value is validated, never passed raw."""

    q = forms.CharField(
        label=_("Search"), required=False, max_length=100, strip=True,
        widget=forms.SearchInput(attrs={"placeholder": _("Code, title or instructor")}),
    )
    term = forms.ChoiceField(
        label=_("Term"),
        required=False,
        choices=(),  # the terms of the moment, set by __init__
    )
    credits = forms.TypedChoiceField(
        label=_("Credits"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any"))] + [(n, n) for n in range(MIN_CREDITS, MAX_CREDITS + 1)],
    )
    open_seats = forms.BooleanField(label=_("Only courses with open seats"), required=False)
    order = forms.ChoiceField(
        label=_("Order by"),
        required=False,
        choices=[
            ("code", _("Code")),
            ("title", _("Title")),
            ("credits", _("Credits, fewest first")),
            ("-credits", _("Credits, most first")),
            ("instructor", _("Instructor")),
        ],
    )

    def __init__(self, *args, term_options: Sequence[TermOption] | None = None, **kwargs):
        # Labels sit above or beside their fields in the filter bar: no colon.
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # Read once per form (callable choices are called again each time they
        # are read), or given: catalog.fragments builds the form from its key.
        self.term_options = tuple(selectors.term_options() if term_options is None else term_options)
        self.term_ids = {option.slug: option.id for option in self.term_options}
        self.fields["term"].choices = [("", _("All terms"))] + [
            (option.slug, option.name) for option in self.term_options
        ]

    @property
    def term_name(self) -> str:
        """The name of the one term shown, or "" for all terms."""
        slug = self.cleaned_data.get("term") if self.is_valid() else ""
        return dict(self.fields["term"].choices).get(slug, "") if slug else ""

    def filter(self, courses):
        data = self.cleaned_data
        courses = courses.search(data.get("q") or "")
        if data.get("term"):
            courses = courses.filter(term_id=self.term_ids[data["term"]])
        if data.get("credits"):
            courses = courses.filter(credits=data["credits"])
        if data.get("open_seats"):
            courses = courses.with_open_seats()
        return courses.order_by(*ORDERINGS[data.get("order") or "code"])


class InstructorEmailsField(forms.Field):
    """Instructors by email, separated by spaces or commas (a list in JSON): their accounts, compared as a set.

    Every address must belong to an account; the ones that do not are named
    in one error.
    """

    def to_python(self, value):
        if isinstance(value, list | tuple):
            value = " ".join(str(item) for item in value)
        return sorted({email.lower() for email in str(value or "").replace(",", " ").split()})

    def validate(self, value):
        super().validate(value)
        if bad := [email for email in value if not _is_email(email)]:
            raise ValidationError(_("not an email address: %(values)s") % {"values": ", ".join(bad)})

    def clean(self, value):
        emails = super().clean(value)
        users = list(get_user_model().objects.filter(email__in=emails)) if emails else []
        if unknown := sorted(set(emails) - {user.email for user in users}):
            raise ValidationError(_("no account with the email %(emails)s") % {"emails": ", ".join(unknown)})
        return users

    def has_changed(self, initial, data):
        return self.to_python(initial) != self.to_python(data)


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True
