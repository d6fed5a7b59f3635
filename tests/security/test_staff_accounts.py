"""Staff accounts: the admin's login is rate limited, registrars manage students only, the API asks for permissions."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, RegistrarFactory, StaffFactory, UserFactory
from school.api.testing import error_of, token_client
from tests.admin_pages import untouched_user_inlines

pytestmark = pytest.mark.usefixtures("db")


def admin_login(client: Client, email: str, password: str):
    """Log in where /admin/ sends a visitor (the admin's form, or allauth's), following the redirects."""
    login_page = client.get(reverse("admin:index"), follow=True).redirect_chain[-1][0]
    return client.post(login_page, {"username": email, "login": email, "password": password}, follow=True)


def test_twenty_wrong_passwords_for_one_account_are_refused_while_another_staff_member_logs_in(registrar):
    User.objects.create_superuser("root@example.edu", PASSWORD)
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    answers = [admin_login(attacker, "registrar@example.edu", f"guess-{n}") for n in range(20)]
    assert "Too many failed login attempts" in answers[-1].content.decode()
    admin_login(attacker, "registrar@example.edu", PASSWORD)
    assert "_auth_user_id" not in attacker.session

    colleague = Client(REMOTE_ADDR="203.0.113.9")
    page = admin_login(colleague, "root@example.edu", PASSWORD)
    assert page.status_code == 200 and page.redirect_chain[-1][0] == reverse("admin:index")


def test_the_admins_own_form_no_longer_checks_passwords(client, registrar):
    response = client.post(reverse("admin:login"), {"username": "registrar@example.edu", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_a_logged_in_student_is_refused_the_admin_login(client):
    client.force_login(UserFactory())
    assert client.get(reverse("admin:login")).status_code == 403


# --- a registrar manages students, not staff --------------------------------------------------------

ACCESS_FIELDS = {"is_staff", "is_superuser", "groups", "user_permissions"}


def change_form(client, user, **changes) -> dict:
    return {
        "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
        "student_number": user.student_number, "is_active": "on", **untouched_user_inlines(client), **changes,
    }


def test_a_registrar_cannot_make_a_student_staff(registrar_client):
    student = UserFactory()
    page = registrar_client.get(reverse("admin:accounts_user_change", args=[student.pk]))
    assert page.status_code == 200 and not ACCESS_FIELDS & page.context["adminform"].form.fields.keys()
    response = registrar_client.post(reverse("admin:accounts_user_change", args=[student.pk]),
                                     change_form(registrar_client, student, is_staff="on", first_name="Renamed"))
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.first_name == "Renamed" and not student.is_staff


@pytest.mark.parametrize("colleague_factory", [RegistrarFactory, StaffFactory], ids=["registrar", "staff"])
def test_a_registrar_cannot_open_change_reset_deactivate_or_delete_another_staff_account(
    registrar_client, colleague_factory
):
    colleague = colleague_factory(first_name="Colleague")
    change = reverse("admin:accounts_user_change", args=[colleague.pk])
    password = reverse("admin:auth_user_password_change", args=[colleague.pk])
    delete = reverse("admin:accounts_user_delete", args=[colleague.pk])
    new_password = "a-password-the-registrar-chose"

    assert registrar_client.get(change).status_code == 403
    renamed = change_form(registrar_client, colleague, is_active="", first_name="Renamed")
    assert registrar_client.post(change, renamed).status_code == 403
    assert registrar_client.get(password).status_code == 403
    assert registrar_client.post(password, {"password1": new_password, "password2": new_password}).status_code == 403
    assert registrar_client.post(delete, {"post": "yes"}).status_code == 403
    action = {"action": "delete_selected", "_selected_action": [str(colleague.pk)], "post": "yes"}
    assert registrar_client.post(reverse("admin:accounts_user_changelist"), action).status_code == 403

    colleague.refresh_from_db()
    assert colleague.first_name == "Colleague" and colleague.is_active and colleague.check_password(PASSWORD)


def test_a_registrar_still_edits_their_own_name(registrar_client, registrar):
    change = reverse("admin:accounts_user_change", args=[registrar.pk])
    assert registrar_client.post(change, change_form(registrar_client, registrar, first_name="Rosa")).status_code == 302
    registrar.refresh_from_db()
    assert registrar.first_name == "Rosa" and registrar.is_staff


def test_a_superuser_grants_and_removes_staff_status(client, registrar):
    client.force_login(User.objects.create_superuser("root@example.edu", PASSWORD))
    student = UserFactory()
    change = reverse("admin:accounts_user_change", args=[student.pk])
    assert client.post(change, change_form(client, student, is_staff="on")).status_code == 302
    student.refresh_from_db()
    assert student.is_staff
    change = reverse("admin:accounts_user_change", args=[registrar.pk])
    assert client.post(change, change_form(client, registrar)).status_code == 302
    registrar.refresh_from_db()
    assert not registrar.is_staff


# --- the API's staff endpoints ask for a permission ----------------------------------------------------


def test_staff_without_the_view_user_permission_are_refused_the_users(db):
    student = UserFactory()
    api = token_client(StaffFactory())
    for path in ["/api/users/", f"/api/users/{student.student_number}/"]:
        assert error_of(api.get(path), 403)["code"] == "permission_denied"


def test_a_registrar_holds_the_permission_to_see_the_users(db):
    student = UserFactory()
    api = token_client(RegistrarFactory())
    assert api.get("/api/users/").status_code == 200
    assert api.get(f"/api/users/{student.student_number}/").json()["email"] == student.email
