from allauth.account import views as allauth_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .adapters import EmailTaken
from .forms import ApiTokenForm, ProfileForm
from .models import ApiToken, CalendarKey, TooManyTokens, User
from .signals import profile_page_sections


class SignupView(allauth_views.SignupView):
    """allauth's sign-up page, answering a sign-up that lost a race for its address as it answers any taken one."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except EmailTaken:
            # A sign-up in parallel took the address after this form found it
            # free. Checked again, it is taken: a field error, or (mandatory
            # verification) allauth's "check your email" that hides it.
            try:
                form.validate_unique_email(form.cleaned_data["email"])
            except ValidationError as error:
                form.add_error("email", error)
                return self.form_invalid(form)
            return super().form_valid(form)


signup = SignupView.as_view()


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
    try:
        token, key = ApiToken.objects.issue(user=request.user, name=token_form.cleaned_data["name"])
    except TooManyTokens as refusal:
        token_form.add_error(None, str(refusal))
        return _profile_page(request, token_form=token_form)
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
    sections = [html for _receiver, html in profile_page_sections.send(sender=User, request=request)]
    return render(request, "accounts/profile.html", {
        "sections": sections,
        "form": form or ProfileForm(instance=request.user),
        "token_form": token_form or ApiTokenForm(),
        "tokens": request.user.api_tokens.live(),
        "token_ttl_days": settings.API_TOKEN_TTL_DAYS,
        "new_token": new_token,
        "new_key": new_key,
        "calendar_key": CalendarKey.objects.filter(user=request.user).first(),
        "new_calendar_key": new_calendar_key,
    })
