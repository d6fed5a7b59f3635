"""Signals of the accounts app: the ones it sends, and its receivers.

``profile_page_sections`` is sent while the profile page is rendered, with
``request``; each receiver returns HTML for a section of the page (the
enrollment app shows the student's holds): the apps built on accounts plug
in there, and accounts never imports them.

API tokens end with the password they were made under, and with the
account's deactivation (``revoke_api_tokens``).
"""

from django.dispatch import Signal

from .models import ApiToken

profile_page_sections = Signal()


def revoke_api_tokens(sender, instance, created, **kwargs):
    """post_save of a user: every token goes when the password was set or the account is inactive.

    Every way of changing a password (allauth's change and reset, the admin's
    form, ``changepassword``) calls ``set_password``, which keeps the new
    password in ``_password`` until ``save()`` has finished: Django's own
    signal that the password changed (it calls the validators'
    ``password_changed`` then). A login that only rehashes the stored password
    clears it first, so scripts keep their tokens across a hasher upgrade.
    Authentication refuses an inactive user's tokens as well, so an account
    deactivated with a queryset update is covered too.
    """
    if not created and (instance._password is not None or not instance.is_active):
        ApiToken.objects.filter(user=instance).delete()
