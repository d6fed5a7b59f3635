import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from tests.admin_pages import untouched_user_inlines

pytestmark = pytest.mark.usefixtures("db")

USERS = reverse("admin:accounts_user_changelist")


def change_url(user) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def emails(response) -> list[str]:
    assert response.status_code == 200
    return sorted(user.email for user in response.context["cl"].result_list)


def test_a_registrar_logs_in_and_sees_what_they_run_and_no_more(client, registrar):
    login = client.get(reverse("admin:index"), follow=True).redirect_chain[-1][0]
    response = client.post(login, {"login": "Registrar@example.edu", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    index = client.get(reverse("admin:index"))
    models = {model["object_name"] for app in index.context["app_list"] for model in app["models"]}
    assert models == {
        "User", "ApiToken", "Term", "Course", "Enrollment", "Permit", "GradeSheet", "Hold", "HoldKind",
    }
    assert client.get("/admin/auth/group/").status_code == 403
    assert client.get("/admin/auth/group/add/").status_code == 403


def test_a_student_is_refused_the_admin(client):
    client.force_login(UserFactory())
    assert client.get(USERS).status_code == 302
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))


def test_users_are_searched_by_email_or_name_and_filtered(registrar_client, registrar, django_assert_max_num_queries):
    UserFactory(email="ada@example.edu", first_name="Ada", last_name="Lovelace")
    UserFactory(email="alan@example.edu", first_name="Alan", last_name="Turing", is_active=False)

    def search_queries() -> int:
        with django_assert_max_num_queries(7) as queries:
            response = registrar_client.get(USERS, {"q": "ada lovelace"})
        assert {user.last_name for user in response.context["cl"].result_list} == {"Lovelace"}
        return len(queries.captured_queries)

    registrar_client.get(USERS)  # warms the cached term list (the credit-limit filter's choices)
    few = search_queries()
    assert emails(registrar_client.get(USERS, {"q": "ada lovelace"})) == ["ada@example.edu"]
    assert emails(registrar_client.get(USERS, {"q": "alan@"})) == ["alan@example.edu"]
    assert emails(registrar_client.get(USERS, {"is_staff__exact": 1})) == ["registrar@example.edu"]
    assert emails(registrar_client.get(USERS, {"is_active__exact": 0})) == ["alan@example.edu"]
    registrars = registrar.groups.get()
    assert emails(registrar_client.get(USERS, {"groups__id__exact": registrars.pk})) == ["registrar@example.edu"]

    UserFactory.create_batch(4, last_name="Lovelace", first_name="Ada")
    assert search_queries() == few


def test_a_registrar_adds_a_user_and_changes_their_password(registrar_client):
    response = registrar_client.post(reverse("admin:accounts_user_add"), {
        "email": "new@example.edu", "first_name": "New", "last_name": "Student", "student_number": "",
        "usable_password": "true", "password1": PASSWORD, "password2": PASSWORD,
        **untouched_user_inlines(registrar_client),
    })
    assert response.status_code == 302
    user = User.objects.get(email="new@example.edu")
    assert user.student_number and LogEntry.objects.get(object_id=str(user.pk)).is_addition()

    password_url = reverse("admin:auth_user_password_change", args=[user.pk])
    new_password = "another-long-passphrase-7"
    response = registrar_client.post(password_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_a_registrar_cannot_grant_permissions_nor_touch_a_superuser(registrar_client, registrar):
    student = UserFactory(email="student@example.edu")
    form = {
        "email": "student@example.edu", "first_name": "S", "last_name": "T", "student_number": student.student_number,
        "is_active": "on", "is_staff": "on", "is_superuser": "on", "groups": [registrar.groups.get().pk],
        **untouched_user_inlines(registrar_client),
    }
    assert registrar_client.post(change_url(student), form).status_code == 302
    student.refresh_from_db()
    assert not (student.is_staff or student.is_superuser or student.groups.exists())

    root = User.objects.create_superuser("root@example.edu", PASSWORD)
    assert registrar_client.get(change_url(root)).status_code == 403
    assert registrar_client.post(change_url(root), {**form, "email": "root@example.edu"}).status_code == 403
    assert registrar_client.get(reverse("admin:auth_user_password_change", args=[root.pk])).status_code == 403
    delete = reverse("admin:accounts_user_delete", args=[root.pk])
    assert registrar_client.post(delete, {"post": "yes"}).status_code == 403
