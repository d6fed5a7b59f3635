"""What tests post to the admin's user pages, whose inlines (the enrollment app's) they leave alone."""

from django.urls import reverse


def untouched_user_inlines(client) -> dict:
    """The management forms of every inline of the user page, posting none of their rows.

    Read from the add page, which has the change page's inlines, so a test
    does not need to know which apps add them.
    """
    page = client.get(reverse("admin:accounts_user_add"))
    return {
        f"{inline.formset.prefix}-{field}": 0
        for inline in page.context["inline_admin_formsets"] for field in ("TOTAL_FORMS", "INITIAL_FORMS")
    }
