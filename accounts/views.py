from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .forms import ApiTokenForm, ProfileForm
from .models import ApiToken, CalendarKey


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile has been saved."))
        return redirect("accounts:profile")
    return _profile_page(request, form=form)


@login_required
@require_POST
@never_cache
def token_create(request):
    token_form = ApiTokenForm(request.POST)
    if not token_form.is_valid():
        return _profile_page(request, token_form=token_form)
    token, key = ApiToken.objects.issue(user=request.user, name=token_form.cleaned_data["name"])
    # Rendered rather than redirected: the key is shown this once and kept
    # nowhere, not even in the session.
    return _profile_page(request, new_token=token, new_key=key)


@login_required
@require_POST
def token_revoke(request, token_id):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    token.delete()
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("accounts:profile")


@login_required
@require_POST
@never_cache
def calendar_reset(request):
    key = CalendarKey.objects.reset(user=request.user)
    # Rendered rather than redirected, as a new API token: the address is
    # shown this once and kept nowhere.
    return _profile_page(request, new_calendar_key=key)


@login_required
@require_POST
def calendar_stop(request):
    CalendarKey.objects.filter(user=request.user).delete()
    messages.success(request, _("Your calendar address no longer works."))
    return redirect("accounts:profile")


def _profile_page(request, *, form=None, token_form=None, new_token=None, new_key=None, new_calendar_key=None):
    return render(request, "accounts/profile.html", {
        "form": form or ProfileForm(instance=request.user),
        "token_form": token_form or ApiTokenForm(),
        "tokens": request.user.api_tokens.all(),
        "new_token": new_token,
        "new_key": new_key,
        "calendar_key": CalendarKey.objects.filter(user=request.user).first(),
        "new_calendar_key": new_calendar_key,
    })
