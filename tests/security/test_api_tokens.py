"""API tokens: revoked with a password change or a deactivation, expiring, at most ten, revocable by staff."""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, TooManyTokens, User
from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from tests.admin_pages import untouched_user_inlines
from tests.parallel import in_parallel

pytestmark = pytest.mark.usefixtures("db")

NEW_PASSWORD = "a-brand-new-passphrase-42"


def works(key: str) -> bool:
    status = Client(headers={"Authorization": f"Bearer {key}"}).get("/api/enrollments/").status_code
    assert status in (200, 401)
    return status == 200


@pytest.fixture
def student():
    return UserFactory(email="ada@example.edu")


@pytest.fixture
def key(student):
    return ApiToken.objects.issue(user=student, name="grades script")[1]


# --- revoked with the password, and with the account -------------------------------------------------


def test_changing_the_password_revokes_the_tokens(client, student, key):
    client.force_login(student)
    response = client.post(reverse("account_change_password"),
                           {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert not works(key) and not ApiToken.objects.exists()


def test_resetting_the_password_revokes_the_tokens(client, student, key):
    client.post(reverse("account_reset_password"), {"email": student.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password/reset/key/" in line)
    form_page = client.get(link[link.index("/accounts/"):].strip(), follow=True)
    response = client.post(form_page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert not works(key) and not ApiToken.objects.exists()


def test_a_password_set_in_the_admin_revokes_the_tokens(registrar_client, student, key):
    response = registrar_client.post(reverse("admin:auth_user_password_change", args=[student.pk]),
                                     {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert not works(key) and not ApiToken.objects.exists()


def test_deactivating_the_account_revokes_the_tokens_for_good(registrar_client, student, key):
    response = registrar_client.post(reverse("admin:accounts_user_change", args=[student.pk]), {
        "email": student.email, "first_name": student.first_name, "last_name": student.last_name,
        "student_number": student.student_number, **untouched_user_inlines(registrar_client),
    })
    assert response.status_code == 302
    assert not works(key)
    User.objects.filter(pk=student.pk).update(is_active=True)
    assert not works(key)


def test_an_account_deactivated_by_a_bulk_update_has_its_tokens_refused(student, key):
    User.objects.filter(pk=student.pk).update(is_active=False)
    assert not works(key)


def test_a_login_that_only_rehashes_the_password_keeps_the_tokens(client, settings, student, key):
    settings.PASSWORD_HASHERS = [*settings.PASSWORD_HASHERS, "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    User.objects.filter(pk=student.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert client.post(reverse("account_login"), {"login": student.email, "password": PASSWORD}).status_code == 302
    assert User.objects.get(pk=student.pk).password.startswith("md5$")
    assert works(key)


# --- expiry --------------------------------------------------------------------------------------------


def test_a_token_expires_after_the_configured_days_and_the_profile_says_when(client, settings, student):
    settings.API_TOKEN_TTL_DAYS = 30
    token, key = ApiToken.objects.issue(user=student, name="laptop")
    assert timedelta(days=30) - (token.expires_at - timezone.now()) < timedelta(minutes=1)
    client.force_login(student)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "expires 30 days after" in page and "<th scope=\"col\">Expires</th>" in page
    assert works(key)

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not works(key)
    assert "laptop" not in client.get(reverse("accounts:profile")).content.decode()


def test_tokens_live_ninety_days_unless_configured():
    from school.settings import base

    assert base.API_TOKEN_TTL_DAYS == 90


# --- at most ten ---------------------------------------------------------------------------------------


def test_the_eleventh_token_is_refused_with_a_clear_message(client, student):
    client.force_login(student)
    for n in range(10):
        assert client.post(reverse("accounts:token_create"), {"name": f"script {n}"}).context["new_key"]
    page = client.post(reverse("accounts:token_create"), {"name": "one too many"})
    assert page.context["new_key"] is None
    assert "You already have 10 API tokens, the most allowed" in page.content.decode()
    assert ApiToken.objects.filter(user=student).count() == 10


def test_an_expired_token_frees_its_place(student):
    tokens = [ApiToken.objects.issue(user=student, name=f"script {n}")[0] for n in range(10)]
    ApiToken.objects.filter(pk=tokens[3].pk).update(expires_at=timezone.now())
    ApiToken.objects.issue(user=student, name="replacement")
    assert ApiToken.objects.filter(user=student).count() == 10


def test_a_burst_of_parallel_requests_never_makes_more_than_ten(student):
    ApiToken.objects.issue(user=student, name="existing")
    results = in_parallel(20, lambda n: ApiToken.objects.issue(user=student, name=f"burst {n}"))
    made = [result for result in results if isinstance(result, tuple)]
    assert len(made) == 9 and all(isinstance(result, TooManyTokens) for result in results if result not in made)
    assert ApiToken.objects.filter(user=student).count() == 10


# --- staff see and revoke tokens in the admin ------------------------------------------------------------


def test_a_registrar_lists_searches_and_revokes_students_tokens_without_seeing_a_secret(registrar_client, student):
    token, key = ApiToken.objects.issue(user=student, name="grades script")
    staff_token, _staff_key = ApiToken.objects.issue(user=StaffFactory(email="colleague@example.edu"), name="ops")
    changelist = reverse("admin:accounts_apitoken_changelist")

    listed = registrar_client.get(changelist, {"q": "ada@example"})
    assert list(listed.context["cl"].result_list) == [token]
    assert list(registrar_client.get(changelist).context["cl"].result_list) == [token]
    detail = registrar_client.get(reverse("admin:accounts_apitoken_change", args=[token.pk])).content.decode()
    assert "grades script" in detail and key not in detail and token.key_hash not in detail
    assert registrar_client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    assert registrar_client.get(reverse("admin:accounts_apitoken_change", args=[staff_token.pk])).status_code == 302

    response = registrar_client.post(changelist, {"action": "revoke", "_selected_action": [str(token.pk)]}, follow=True)
    assert "1 token revoked." in response.content.decode()
    assert not works(key) and list(ApiToken.objects.all()) == [staff_token]
