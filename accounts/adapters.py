from allauth.account.adapter import DefaultAccountAdapter
from django.db import IntegrityError

from .models import User


class EmailTaken(Exception):
    """A parallel sign-up saved the same email address first."""


class AccountAdapter(DefaultAccountAdapter):
    """Allauth's behaviour for this school.

    New accounts get their names in the same request as the signup (see
    SignupNamesForm); everything else is allauth's default.
    """

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.first_name = form.cleaned_data.get("first_name", "")
        user.last_name = form.cleaned_data.get("last_name", "")
        if commit:
            try:
                user.save()
            except IntegrityError as error:
                # The form found the address free, but the unique index says a
                # sign-up in parallel took it in between.
                if User.objects.filter(email=user.email).exists():
                    raise EmailTaken(user.email) from error
                raise
        return user
