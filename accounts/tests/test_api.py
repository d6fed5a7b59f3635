import hashlib

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken, User
from accounts.tests.factories import PASSWORD, RegistrarFactory, UserFactory
from school.api import throttling
from school.api.testing import ROLES, caller, error_of, token_client

pytestmark = pytest.mark.usefixtures("db")

SIGNUP = {"email": "Grace@Example.edu", "password": PASSWORD, "first_name": "Grace", "last_name": "Hopper"}


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


def sign_up(client, body):
    return client.post("/api/users/", body, content_type="application/json")


# --- tokens -------------------------------------------------------------------------------------


def test_a_token_is_shown_once_and_stored_only_as_a_hash(client):
    user = UserFactory()
    client.force_login(user)
    page = client.post(reverse("accounts:token_create"), {"name": "grades script"})
    key = page.context["new_key"]
    assert key.startswith("rgs_") and key in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0")
    token = ApiToken.objects.get(user=user)
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    assert (token.name, token.hint, token.key_hash) == ("grades script", key[:8], key_hash)
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())

    again = client.get(reverse("accounts:profile")).content.decode()
    assert "grades script" in again and key[:8] in again and key not in again


def test_a_token_needs_a_name(client):
    client.force_login(UserFactory())
    page = client.post(reverse("accounts:token_create"), {"name": ""})
    assert page.context["token_form"].errors == {"name": ["This field is required."]}
    assert not ApiToken.objects.exists()


def test_a_token_authenticates_and_records_its_use(db):
    user = UserFactory()
    api = token_client(user)
    assert api.get("/api/enrollments/").status_code == 200
    assert ApiToken.objects.get(user=user).last_used_at is not None


def test_a_revoked_token_no_longer_works(client):
    user = UserFactory()
    token, key = ApiToken.objects.issue(user=user, name="laptop")
    client.force_login(user)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]), follow=True)
    assert "is revoked" in response.content.decode()
    assert not ApiToken.objects.exists()
    script = Client(headers={"Authorization": f"Bearer {key}"})
    error = error_of(script.get("/api/enrollments/"), 401)
    assert "not valid" in error["message"]


@pytest.mark.parametrize("header", ["Bearer rgs_made-up", "Bearer ", "Token abc", "Basic dXNlcjpwYXNz"])
def test_a_wrong_or_unknown_authorization_is_a_401(header):
    assert error_of(Client(headers={"Authorization": header}).get("/api/enrollments/"), 401)


def test_an_inactive_users_token_is_refused():
    user = UserFactory(is_active=False)
    assert token_client(user).get("/api/enrollments/").status_code == 401


def test_only_ones_own_tokens_can_be_revoked(client):
    theirs, _key = ApiToken.objects.issue(user=UserFactory(), name="theirs")
    client.force_login(UserFactory())
    assert client.post(reverse("accounts:token_revoke", args=[theirs.pk])).status_code == 404
    assert client.post("/profile/tokens/not-an-objectid/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_the_token_pages_need_login(client):
    assert client.post(reverse("accounts:token_create"), {"name": "x"}).status_code == 302
    assert not ApiToken.objects.exists()


# --- users ----------------------------------------------------------------------------------------


def test_staff_list_and_read_users_by_student_number(db):
    staff = RegistrarFactory(first_name="Root")
    student = UserFactory(email="ada@example.edu", first_name="Ada", last_name="Lovelace")
    api = token_client(staff)
    listed = api.get("/api/users/").json()
    assert listed["count"] == 2 and {u["email"] for u in listed["results"]} == {staff.email, "ada@example.edu"}
    one = api.get(f"/api/users/{student.student_number}/").json()
    assert one == {
        "user_id": student.student_number, "email": "ada@example.edu", "first_name": "Ada", "last_name": "Lovelace",
        "is_staff": False, "date_joined": one["date_joined"],
    }
    assert error_of(api.get("/api/users/999999/"), 404)["code"] == "not_found"


@pytest.mark.parametrize("user_id", ["abc", "0", "-1", str(2**63), "1.5"])
def test_a_user_id_must_be_a_student_number(user_id):
    api = token_client(RegistrarFactory())
    assert error_of(api.get(f"/api/users/{user_id}/"), 400)["fields"].keys() == {"user_id"}


@pytest.mark.parametrize("who", ROLES)
def test_permissions(client, who):
    student = UserFactory()
    api = caller(who, anonymous=client, student=student)
    expected = {"anonymous": 401, "student": 403, "other student": 403, "staff": 200}[who]
    listed = api.get("/api/users/")
    one = api.get(f"/api/users/{student.student_number}/")
    assert (listed.status_code, one.status_code) == (expected, expected)
    if expected != 200:
        assert student.email not in (listed.content + one.content).decode()
    # Signing up is public: anyone may, signed in or not.
    assert sign_up(api, {**SIGNUP, "email": f"{who.replace(' ', '')}@example.edu"}).status_code == 201


# --- sign-up ------------------------------------------------------------------------------------


def test_sign_up_creates_a_student_and_never_returns_the_password(client):
    response = sign_up(client, SIGNUP)
    assert response.status_code == 201
    user = User.objects.get()
    assert response.json() == {
        "user_id": user.student_number, "email": "grace@example.edu", "first_name": "Grace", "last_name": "Hopper",
        "is_staff": False, "date_joined": response.json()["date_joined"],
    }
    assert PASSWORD not in response.content.decode() and user.password not in response.content.decode()
    assert client.login(email="grace@example.edu", password=PASSWORD)
    assert "Confirm" in mail.outbox[0].subject


@pytest.mark.parametrize(("change", "field"), [
    ({"password": "123"}, "password"),
    ({"password": "password"}, "password"),
    ({"password": "86753091234"}, "password"),
    ({"email": "not-an-email"}, "email"),
    ({"email": "taken@example.edu"}, "email"),
    ({"first_name": ""}, "first_name"),
    ({"last_name": "x" * 51}, "last_name"),
])
def test_sign_up_validates_as_the_signup_page_does(client, change, field):
    UserFactory(email="taken@example.edu")
    error = error_of(sign_up(client, {**SIGNUP, **change}), 400)
    assert error["code"] == "invalid" and field in error["fields"]
    assert User.objects.count() == 1


@pytest.mark.parametrize("body", [
    {**SIGNUP, "email": {"$ne": None}},
    {**SIGNUP, "password": ["a", "b"]},
    {key: value for key, value in SIGNUP.items() if key != "first_name"},
])
def test_sign_up_takes_plain_strings_only(client, body):
    assert error_of(sign_up(client, body), 400)["code"] == "invalid"
    assert not User.objects.exists()


def test_sign_up_ignores_fields_it_does_not_take(client):
    sign_up(client, {**SIGNUP, "is_staff": True, "is_superuser": True, "student_number": 1})
    user = User.objects.get()
    assert not user.is_staff and not user.is_superuser


def test_sign_up_is_rate_limited_per_address(client, monkeypatch):
    monkeypatch.setattr(throttling.SIGNUPS, "count", 2)
    assert [sign_up(client, {}).status_code for _ in range(2)] == [400, 400]
    limited = sign_up(client, {})
    assert error_of(limited, 429)["code"] == "rate_limited" and int(limited["Retry-After"]) >= 1
    other_address = Client(REMOTE_ADDR="10.0.0.2")
    assert sign_up(other_address, {}).status_code == 400
    # X-Forwarded-For is not trusted: a caller cannot pick a fresh address.
    assert sign_up(client, {}, ).status_code == 429
    assert client.post("/api/users/", {}, content_type="application/json",
                       headers={"X-Forwarded-For": "10.9.9.9"}).status_code == 429
