"""Map the old Flask app's export (courses.json, users.json) onto our models.

Legacy shapes: ``title`` is really a code ("PYT 101") and ``description`` the
title; ``credits`` is a string; ``term`` lists term names ("Fall, Spring");
users carry an integer ``user_id`` (kept as the student number) and a
plaintext ``password``, which is hashed here and never stored or printed.
A course offered in several terms becomes one course per term: the first
keeps the code, the others get a section suffix (PYT101-SP).
"""

from dataclasses import dataclass, field
from pathlib import Path

from django import forms
from django.contrib.auth.hashers import make_password

from accounts.models import User

from .importing import ImportFileError, Row, RowError, read_rows
from .models import normalize_course_code


def legacy_course_rows(path: Path, terms: dict[str, str], capacity: int) -> tuple[list[Row], list[RowError]]:
    """Course rows in import_courses' shape, one per (legacy course, term)."""
    rows, errors = [], []
    for row in read_rows(path):
        data = row.data
        names = [name.strip() for name in str(data.get("term") or "").split(",") if name.strip()]
        if not names:
            errors.append(RowError(row.line, "term", "no term given"))
        unknown = [name for name in names if name not in terms]
        for name in unknown:
            errors.append(RowError(row.line, "term", f"no target term for “{name}”: add --term {name}=<term slug>"))
        code = normalize_course_code(str(data.get("title") or ""))
        for position, name in enumerate(n for n in names if n not in unknown):
            rows.append(Row(row.line, {
                "code": code if position == 0 else f"{code}-{name[:2].upper()}",
                "title": data.get("description") or code,
                "credits": data.get("credits"),
                "term": terms[name],
                "capacity": capacity,
            }))
    return rows, errors


class LegacyUserForm(forms.Form):
    user_id = forms.IntegerField(min_value=1)
    email = forms.EmailField(max_length=254)
    first_name = forms.CharField(max_length=50, required=False)
    last_name = forms.CharField(max_length=50, required=False)
    password = forms.CharField(strip=False)


@dataclass
class UserPlan:
    create: list[dict] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def plan_users(path: Path) -> UserPlan:
    plan = UserPlan()
    existing = dict(User.objects.values_list("email", "student_number"))
    numbers = {number: email for email, number in existing.items()}
    seen_emails, seen_numbers = {}, {}
    for row in read_rows(path):
        form = LegacyUserForm({key: value for key, value in row.data.items() if isinstance(value, str | int)})
        if not form.is_valid():
            for name, messages in form.errors.items():
                plan.errors.extend(RowError(row.line, name, message) for message in messages)
            continue
        user = form.cleaned_data
        email, number = user["email"].lower(), user["user_id"]
        if email in seen_emails:
            plan.errors.append(RowError(row.line, "email", f"{email} already appears on line {seen_emails[email]}"))
        elif number in seen_numbers:
            plan.errors.append(
                RowError(row.line, "user_id", f"{number} already appears on line {seen_numbers[number]}")
            )
        elif email in existing and existing[email] == number:
            plan.unchanged.append(email)
        elif email in existing:
            plan.errors.append(
                RowError(row.line, "email", f"{email} belongs to student {existing[email]}, not {number}")
            )
        elif number in numbers:
            plan.errors.append(RowError(row.line, "user_id", f"student number {number} belongs to {numbers[number]}"))
        else:
            plan.create.append({**user, "email": email})
        seen_emails.setdefault(email, row.line)
        seen_numbers.setdefault(number, row.line)
    return plan


def create_users(plan: UserPlan, progress=lambda users: users) -> int:
    for user in progress(plan.create):
        User.objects.create(
            email=user["email"],
            first_name=user["first_name"],
            last_name=user["last_name"],
            student_number=user["user_id"],
            password=make_password(user["password"]),
        )
    return len(plan.create)


def find_export(directory: Path, name: str) -> Path:
    path = directory / name
    if not path.is_file():
        raise ImportFileError(f"{directory} has no {name}")
    return path
