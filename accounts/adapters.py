from allauth.account.adapter import DefaultAccountAdapter
from django.db import IntegrityError

from .models import User


class EmailTaken(Exception):
    """A parallel sign-up saved the same email address first."""


class AccountAdapter(DefaultAccountAdapter):
    """Allauth's behaviour for this school: allauth's default, but a sign-up
    that loses the race for an address says so instead of failing."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
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
