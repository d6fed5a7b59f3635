"""Who teaches a course: assignments from the admin, imports and the API, and the old names linked to accounts."""

import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.instructor_group import INSTRUCTOR_GROUP
from accounts.tests.factories import UserFactory
from catalog.importing import Row, apply_plan, plan_import
from catalog.instructors import course_set_instructors, instructor_emails, link_instructor_names
from catalog.models import Course, CourseInstructor
from catalog.tests.factories import CourseFactory, CourseInstructorFactory, TermFactory
from catalog.tests.test_admin import course_form
from school.api.testing import error_of, token_client

pytestmark = pytest.mark.usefixtures("db")


def instructors_of(course) -> list[str]:
    return instructor_emails(courses=[course]).get(course.code, [])


def member(**names):
    user = UserFactory(**names)
    Group.objects.get_or_create(name=INSTRUCTOR_GROUP)[0].user_set.add(user)
    return user


def test_assigning_sets_exactly_the_instructors_and_puts_them_in_the_group_keeping_the_catalog_name():
    ama, ben = UserFactory(first_name="Ama", last_name="Mensah"), UserFactory()
    course = CourseFactory(instructor="Dr. Okafor")

    assert course_set_instructors(course=course, instructors=[ama, ben])
    assert course_set_instructors(course=course, instructors=[ama])
    assert not course_set_instructors(course=course, instructors=[ama])

    assert instructors_of(course) == [ama.email]
    assert set(Group.objects.get(name=INSTRUCTOR_GROUP).user_set.all()) == {ama, ben}
    assert Course.objects.get(pk=course.pk).instructor == "Dr. Okafor"


def test_old_names_are_linked_to_instructor_accounts_by_full_name_or_unique_surname_and_kept_otherwise():
    mensah = member(first_name="Ama", last_name="Mensah")
    member(first_name="Ian", last_name="Novak")
    member(first_name="Eva", last_name="Novak")
    UserFactory(first_name="Sam", last_name="Byrne")  # a student: never linked
    by_surname = CourseFactory(code="CS101", instructor="Dr. Mensah")
    by_name = CourseFactory(code="CS102", instructor="Prof. Ama MENSAH")
    CourseFactory(code="CS103", instructor="Dr. Novak")
    CourseFactory(code="CS104", instructor="Dr. Byrne")

    report = link_instructor_names()

    assert [instructors_of(c) for c in (by_surname, by_name)] == [[mensah.email], [mensah.email]]
    assert CourseInstructor.objects.count() == 2
    assert report == [
        f"CS101: “Dr. Mensah” linked to {mensah.email}",
        f"CS102: “Prof. Ama MENSAH” linked to {mensah.email}",
        "CS103: “Dr. Novak” kept as text: several instructor accounts have it",
        "CS104: “Dr. Byrne” kept as text: no instructor account has that name",
    ]
    assert Course.objects.get(code="CS101").instructor == "Dr. Mensah"
    assert " linked to " not in " ".join(link_instructor_names())  # a second run changes nothing


def test_the_link_command_reports_what_it_did(capsys):
    member(first_name="Ama", last_name="Mensah")
    CourseFactory(code="CS101", instructor="Dr. Mensah")
    call_command("link_instructors")
    assert capsys.readouterr().out.splitlines()[-1] == "1 course(s) linked, 0 kept as text."


def test_registrars_assign_instructors_on_the_course_page_searching_users(registrar_client):
    course = CourseFactory(code="CS101")
    ama = UserFactory(first_name="Ama", last_name="Mensah", email="mensah@example.edu")

    found = registrar_client.get("/admin/autocomplete/", {
        "app_label": "catalog", "model_name": "courseinstructor", "field_name": "instructor", "term": "mens",
    })
    assert [item["text"] for item in found.json()["results"]] == ["Ama Mensah"]
    page = registrar_client.get(f"/admin/catalog/course/{course.pk}/change/").content.decode()
    assert 'data-model-name="courseinstructor"' in page and 'name="instructors"' in page

    saved = registrar_client.post(f"/admin/catalog/course/{course.pk}/change/",
                                  course_form(course, instructors=[ama.pk]))

    assert saved.status_code == 302 and instructors_of(course) == ["mensah@example.edu"]
    assert ama.groups.filter(name=INSTRUCTOR_GROUP).exists()


def import_rows(*rows):
    plan = plan_import([Row(line=n, data=data) for n, data in enumerate(rows, start=2)])
    return plan, apply_plan(plan) if not plan.errors else None


def test_imports_accept_instructors_by_email_and_leave_them_when_the_column_is_absent():
    TermFactory(slug="fall-2026")
    ama = UserFactory(email="mensah@example.edu")
    row = {"code": "CS101", "title": "Programming", "credits": "3", "term": "fall-2026", "capacity": "30"}

    plan, _ = import_rows({**row, "instructors": "Mensah@example.edu"})
    assert len(plan.create) == 1 and instructors_of(Course.objects.get(code="CS101")) == [ama.email]
    plan, _ = import_rows(row)
    assert len(plan.unchanged) == 1 and instructors_of(Course.objects.get(code="CS101")) == [ama.email]
    plan, _ = import_rows({**row, "instructors": ["nobody@example.edu", "not-an-email", {"$ne": None}]})
    [error] = plan.errors
    assert str(error).startswith("line 2: instructors: not an email address: ") and "not-an-email" in str(error)
    assert "{'$ne':" in str(error)
    plan, _ = import_rows({**row, "instructors": "nobody@example.edu"})
    assert [str(error) for error in plan.errors] == [
        "line 2: instructors: no account with the email nobody@example.edu"
    ]
    plan, _ = import_rows({**row, "instructors": ""})
    assert plan.update and instructors_of(Course.objects.get(code="CS101")) == []


def test_the_api_sets_instructors_by_email_for_registrars_only(registrar):
    course = CourseFactory(code="CS101")
    ama = UserFactory(email="mensah@example.edu")
    staff_api = token_client(registrar)

    put = staff_api.put("/api/courses/cs101/instructors/", {"instructors": ["MENSAH@example.edu"]},
                        content_type="application/json")
    assert put.status_code == 200 and put.json()["instructors"] == ["mensah@example.edu"]
    assert staff_api.get("/api/courses/CS101/instructors/").json()["instructors"] == [ama.email]
    unknown = staff_api.put("/api/courses/CS101/instructors/", json.dumps({"instructors": ["x@example.edu"]}),
                            content_type="application/json")
    assert error_of(unknown, 400)["fields"] == {"instructors": ["no account with the email x@example.edu"]}
    student_api = token_client(UserFactory())
    assert error_of(student_api.get("/api/courses/CS101/instructors/"), 403)["code"] == "permission_denied"
    refused = student_api.put("/api/courses/CS101/instructors/", {"instructors": []}, content_type="application/json")
    assert error_of(refused, 403) and instructors_of(course) == [ama.email]


def test_a_user_or_course_that_goes_takes_its_assignments_with_it():
    link = CourseInstructorFactory()
    link.instructor.delete()
    assert not CourseInstructor.objects.exists()
