from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, User


class SignupNamesForm(forms.Form):
    """The names allauth's signup form asks for besides email and password (ACCOUNT_SIGNUP_FORM_CLASS).

    allauth's adapter stores them: its ``save_user`` copies ``first_name`` and
    ``last_name`` from the form onto the user before the one save of a sign-up.
    """

    first_name = forms.CharField(label=_("First name"), max_length=50)
    last_name = forms.CharField(label=_("Last name"), max_length=50)

    field_order = ["first_name", "last_name"]

    def signup(self, request, user):
        """Required by allauth after the user is saved; the names are already stored."""


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name"]


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]


class AdminUserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "student_number"]
        field_classes = {}


class AdminUserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {}
