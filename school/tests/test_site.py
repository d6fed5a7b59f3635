import os
import subprocess
import sys

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory


def test_every_migration_is_applied_and_the_indexes_exist(db):
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    indexes = connection.database["enrollment_enrollment"].index_information()
    unique = [info for info in indexes.values() if info.get("unique")]
    assert [[key for key, _ in info["key"]] for info in unique] == [["student_id", "course_id"]]


def test_healthz_reports_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def run_manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, **env},
    )


def test_a_command_against_an_unreachable_database_fails_fast_with_one_message():
    result = run_manage(
        "migrate", "--check", MONGODB_URI="mongodb://127.0.0.1:9/?directConnection=true", MONGODB_TIMEOUT_MS="300"
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: Cannot reach MongoDB at 127.0.0.1:9 (timed out). "
        "Check that MongoDB is running there and that MONGODB_URI is right."
    ]


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        capture_output=True, text=True, timeout=60,
        env={**env, "DJANGO_SETTINGS_MODULE": "school.settings.production",
             "MONGODB_URI": "mongodb://127.0.0.1:9/?directConnection=true"},
    )
    assert result.returncode != 0
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def test_production_settings_pass_the_deployment_checks():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "school.settings.production",
             "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-for-this-test-only-0123456789",
             "DJANGO_ALLOWED_HOSTS": "registrar.example.edu",
             "MONGODB_URI": "mongodb://127.0.0.1:9/?directConnection=true"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_signup_login_logout_with_allauth(client, db):
    response = client.post(reverse("account_signup"), {
        "first_name": "Grace", "last_name": "Hopper", "email": "Grace@Example.edu",
        "password1": PASSWORD, "password2": PASSWORD,
    })
    assert response.status_code == 302
    user = User.objects.get(email="grace@example.edu")
    assert (user.first_name, user.last_name, user.student_number) == ("Grace", "Hopper", 1)
    assert "Confirm" in mail.outbox[0].subject
    assert client.get(reverse("accounts:profile")).status_code == 200

    client.post(reverse("account_logout"))
    assert client.get(reverse("accounts:profile")).status_code == 302

    bad = client.post(reverse("account_login"), {"login": "grace@example.edu", "password": "wrong"})
    assert bad.status_code == 200 and "not correct" in bad.content.decode()
    good = client.post(reverse("account_login"), {"login": "GRACE@example.edu", "password": PASSWORD})
    assert good.status_code == 302
    assert client.get(reverse("accounts:profile")).context["user"] == user


def test_signup_form_shows_field_errors(client, db):
    UserFactory(email="taken@example.edu")
    response = client.post(reverse("account_signup"), {
        "first_name": "", "last_name": "X", "email": "taken@example.edu", "password1": "123", "password2": "123",
    })
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"first_name", "email", "password1"} <= errors.keys()
    assert User.objects.count() == 1


def test_email_confirmation_and_password_reset_work_with_objectid_keys(client, db):
    client.post(reverse("account_signup"), {
        "first_name": "Ada", "last_name": "L", "email": "ada@example.edu", "password1": PASSWORD, "password2": PASSWORD,
    })
    confirm_url = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/confirm-email/" in line)
    path = confirm_url[confirm_url.index("/accounts/"):].strip()
    client.post(path)
    assert User.objects.get(email="ada@example.edu").emailaddress_set.get().verified

    mail.outbox.clear()
    client.post(reverse("account_logout"))
    client.post(reverse("account_reset_password"), {"email": "ada@example.edu"})
    reset_line = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password/reset/key/" in line)
    reset_path = reset_line[reset_line.index("/accounts/"):].strip()
    form_page = client.get(reset_path, follow=True)
    new_password = "a-brand-new-passphrase-42"
    done = client.post(form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset_path,
                       {"password1": new_password, "password2": new_password})
    assert done.status_code == 302
    assert client.login(email="ada@example.edu", password=new_password)


def test_profile_edits_names(client, db):
    user = UserFactory(first_name="Old")
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {"first_name": "New", "last_name": "Name"}, follow=True)
    assert "Your profile has been saved." in response.content.decode()
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("New", "Name")


def test_user_input_is_escaped(client, db):
    student = UserFactory(first_name="<script>alert(1)</script>")
    client.force_login(student)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_the_admin_login_is_the_sites_login(client, db):
    response = client.get("/admin/login/?next=/admin/", follow=True)
    assert response.redirect_chain == [("/accounts/login/?next=%2Fadmin%2F", 302)]
    assert response.status_code == 200 and response.context["form"].__class__.__name__ == "LoginForm"


@pytest.mark.parametrize("path", ["/admin/accounts/user/", "/admin/catalog/course/", "/admin/enrollment/enrollment/"])
def test_admin_change_lists_render_for_a_superuser(client, db, path):
    client.force_login(User.objects.create_superuser("root@example.edu", PASSWORD))
    assert client.get(path).status_code == 200
