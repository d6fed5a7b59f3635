import threading

import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.usefixtures("db")


def test_create_user_lowercases_email_and_assigns_the_next_student_number():
    first = User.objects.create_user("Ada@Example.EDU", PASSWORD, first_name="Ada")
    second = User.objects.create_user("grace@example.edu", PASSWORD)
    assert first.email == "ada@example.edu"
    assert (first.student_number, second.student_number) == (1, 2)
    assert User.objects.get(pk=first.pk).student_number == 1


def test_a_given_student_number_is_kept():
    user = User.objects.create_user("legacy@example.edu", PASSWORD, student_number=4242)
    assert User.objects.get(pk=user.pk).student_number == 4242
    assert User.objects.create_user("next@example.edu", PASSWORD).student_number == 4243


def test_student_numbers_and_emails_are_unique_in_the_database():
    UserFactory(email="taken@example.edu", student_number=7)
    with pytest.raises(IntegrityError):
        User.objects.create_user("other@example.edu", PASSWORD, student_number=7)
    with pytest.raises(IntegrityError):
        User.objects.create_user("TAKEN@example.edu", PASSWORD)


def test_concurrent_signups_get_distinct_student_numbers():
    errors = []

    def sign_up(n):
        try:
            User.objects.create_user(f"rush{n}@example.edu", PASSWORD)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = list(User.objects.values_list("student_number", flat=True))
    assert sorted(numbers) == list(range(1, 9))


def test_authenticate_by_email_in_any_case():
    user = UserFactory(email="case@example.edu")
    assert authenticate(email="CASE@example.edu", password=PASSWORD) == user
    assert authenticate(username="case@example.edu", password=PASSWORD) == user
    assert authenticate(username="case@example.edu", password="wrong") is None


def test_superuser_is_staff_and_full_name_falls_back_to_email():
    admin = User.objects.create_superuser("root@example.edu", PASSWORD)
    assert admin.is_staff and admin.is_superuser
    assert str(admin) == "root@example.edu"
    assert str(UserFactory(first_name="Ada", last_name="Lovelace")) == "Ada Lovelace"
