"""The widgets WidgetRenderer writes in Python give exactly the HTML of Django's templates."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from school.form_rendering import WidgetRenderer


class EveryWidgetForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={
        "placeholder": 'Say "hi" <b>', "autofocus": True, "disabled": False, "aria-describedby": "name-help",
        "data-safe": mark_safe("<i>kept</i>"), "title": gettext_lazy("First & <last> name"),
    }))
    email = forms.EmailField(initial="ada&co@example.edu")
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.IntegerField(widget=forms.HiddenInput, initial=12345)
    number = forms.IntegerField(min_value=1, max_value=10_000)
    remember = forms.BooleanField(required=False, initial=True)
    search = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "search"}))
    day = forms.DateField(initial=datetime.date(2026, 11, 30))
    term = forms.ChoiceField(choices=[
        ("", gettext_lazy("All terms")), ("fall-2026", "Fall <2026> & \"more\""), ("safe", mark_safe("<b>Safe</b>")),
    ])
    credits = forms.TypedChoiceField(coerce=int, choices=[("", "Any")] + [(n, n) for n in range(1, 11)])
    grouped = forms.ChoiceField(choices=[
        ("Sciences", [("cs", "Computing"), ("math", "Maths")]), ("Arts", [("art", "Art")]), ("none", "Neither"),
    ])
    several = forms.MultipleChoiceField(choices=[(1, "one"), (2, "two")], initial=[2])
    radio = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    text = forms.CharField(widget=forms.Textarea)


@pytest.mark.parametrize("data", [
    None,
    {"name": "x' onload='y", "email": "<script>", "password": "p&w", "hidden": "7", "number": "3", "remember": "on",
     "search": "a\"b", "day": "2026-12-01", "term": "fall-2026", "credits": "4", "grouped": "math",
     "several": ["1", "2"], "radio": "b", "text": "</textarea>"},
])
def test_every_widget_renders_as_djangos_templates_render_it(data):
    native, templates = WidgetRenderer(), DjangoTemplates()
    assert native.native, "the plain widgets are written in Python"
    for field in EveryWidgetForm(data):
        assert field.as_widget() and str(field.as_widget(attrs={"id": f"id_{field.name}"})) == str(
            EveryWidgetForm(data, renderer=templates)[field.name].as_widget(attrs={"id": f"id_{field.name}"})
        ), field.name
        form = EveryWidgetForm(data, renderer=native)
        assert str(form[field.name]) == str(EveryWidgetForm(data, renderer=templates)[field.name]), field.name


class HelpedForm(forms.Form):
    email = forms.EmailField(help_text="We <never> share it.", label="Email & address")
    secret = forms.CharField(widget=forms.HiddenInput, initial="s")
    unlabelled = forms.CharField(label="", required=False)
    required_css_class = "required"
    error_css_class = "wrong"

    def clean(self):
        raise forms.ValidationError(["One <problem>.", "Another."])


@pytest.mark.parametrize("form_class", [EveryWidgetForm, HelpedForm])
@pytest.mark.parametrize("data", [None, {"email": "not an address"}, {}])
def test_whole_forms_render_as_with_djangos_templates(form_class, data):
    for layout in ("as_p", "as_div", "__str__"):
        native = getattr(form_class(data, renderer=WidgetRenderer()), layout)()
        assert native == getattr(form_class(data, renderer=DjangoTemplates()), layout)(), layout
    form = form_class(data, renderer=WidgetRenderer())
    for field in form:
        assert field.label_tag() == form_class(data, renderer=DjangoTemplates())[field.name].label_tag()


def test_the_login_form_renders_as_with_djangos_templates(rf):
    from allauth.account.forms import LoginForm

    request = rf.get("/accounts/login/")
    for data in (None, {"login": "a@example.edu", "password": ""}):
        native, templates = LoginForm(data, request=request), LoginForm(data, request=request)
        native.renderer, templates.renderer = WidgetRenderer(), DjangoTemplates()
        assert native.as_p() == templates.as_p()
