"""Holds in the admin: placed and lifted on a user's page and from the user list, listed on their own page, and
their kinds kept by the registrar."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from accounts.tests.factories import UserFactory
from enrollment.holds import hold_place
from enrollment.models import Hold, HoldKind
from enrollment.tests.factories import HoldKindFactory
from enrollment.tests.test_admin import messages_of

pytestmark = pytest.mark.usefixtures("db")

USERS = reverse("admin:accounts_user_changelist")
HOLDS = reverse("admin:enrollment_hold_changelist")


@pytest.fixture
def bursar(db):
    return HoldKindFactory(code="bursar", name="Bursar")


def user_form(user, holds: list[dict], initial: int = 0) -> dict:
    """The user page as posted: the user's fields, no enrollment rows, and holds rows."""
    form = {
        "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
        "student_number": user.student_number, "is_active": "on",
        "enrollments-TOTAL_FORMS": 0, "enrollments-INITIAL_FORMS": 0,
        "holds-TOTAL_FORMS": len(holds), "holds-INITIAL_FORMS": initial,
    }
    for index, row in enumerate(holds):
        form.update({f"holds-{index}-{name}": value for name, value in row.items()})
    return form


def change_url(user) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def test_a_registrar_places_a_hold_on_the_users_page_and_lifts_it_there(registrar_client, registrar, bursar):
    student = UserFactory()
    new_row = {"kind": bursar.pk, "reason": "Tuition is unpaid.", "student": student.pk}

    assert registrar_client.post(change_url(student), user_form(student, [new_row])).status_code == 302

    hold = Hold.objects.get()
    assert (hold.student, hold.kind, hold.placed_by, hold.placed_via, hold.is_active) == (
        student, bursar, registrar, "admin", True)
    page = registrar_client.get(change_url(student))
    (row,) = page.context["inline_admin_formsets"][0].formset.forms
    assert row.fields["kind"].disabled and not row.fields["lift"].disabled

    lift_row = {"id": hold.pk, "student": student.pk, "lift": "on"}
    assert registrar_client.post(change_url(student), user_form(student, [lift_row], initial=1)).status_code == 302

    hold.refresh_from_db()
    assert (hold.is_active, hold.lifted_by) == (False, registrar)
    messages = [entry.get_change_message() for entry in LogEntry.objects.filter(object_id=str(student.pk))]
    assert any("Added hold" in m for m in messages) and any("Changed Lift for hold" in m for m in messages)


def test_a_second_active_hold_of_a_kind_is_a_form_error(registrar_client, bursar):
    student = UserFactory()
    hold_place(student=student, kind=bursar, reason="Unpaid.")
    response = registrar_client.post(change_url(student), user_form(student, [
        {"kind": bursar.pk, "reason": "Again.", "student": student.pk},
    ]))
    assert response.status_code == 200
    holds = response.context["inline_admin_formsets"][0].formset
    assert holds.errors == [{"kind": [f"{student} already has an active Bursar hold."]}]
    assert Hold.objects.count() == 1


def test_the_user_list_places_a_hold_on_many_after_asking_for_kind_and_reason(registrar_client, registrar, bursar):
    ada, bob = UserFactory.create_batch(2)
    hold_place(student=bob, kind=bursar, reason="Old reason.")
    chosen = {"action": "place_hold", "_selected_action": [ada.pk, bob.pk]}

    page = registrar_client.post(USERS, chosen)
    assert page.status_code == 200 and {user.pk for user, _reason in page.context["rows"]} == {ada.pk, bob.pk}
    missing = registrar_client.post(USERS, {**chosen, "confirmed": "yes", "kind": bursar.pk})
    assert missing.context["form"].errors == {"reason": ["This field is required."]}

    done = registrar_client.post(USERS, {**chosen, "confirmed": "yes", "kind": bursar.pk, "reason": "Unpaid."})

    assert done.status_code == 302 and messages_of(done) == ["1 placed, 1 already held (reason updated)."]
    assert sorted(Hold.objects.active().values_list("student__email", "reason")) == sorted(
        [(ada.email, "Unpaid."), (bob.email, "Unpaid.")])
    assert LogEntry.objects.filter(object_id=str(ada.pk), change_message="Placed a Bursar hold.").exists()


def test_the_user_list_lifts_a_kind_of_hold_from_many(registrar_client, registrar, bursar):
    advising = HoldKindFactory(code="advising", name="Advising")
    ada, bob, cy = UserFactory.create_batch(3)
    for student in (ada, bob):
        hold_place(student=student, kind=bursar, reason="Unpaid.")
    hold_place(student=ada, kind=advising, reason="See your advisor.")

    done = registrar_client.post(USERS, {"action": "lift_holds", "_selected_action": [ada.pk, bob.pk, cy.pk],
                                         "confirmed": "yes", "kind": bursar.pk})

    assert messages_of(done) == ["2 holds lifted."]
    assert list(Hold.objects.active().values_list("student__email", "kind__code")) == [(ada.email, "advising")]


def test_the_hold_list_filters_active_ones_and_lifts_the_selected(registrar_client, registrar, bursar):
    ada, bob = UserFactory.create_batch(2)
    lifted, _ = hold_place(student=ada, kind=bursar, reason="Unpaid.")
    active, _ = hold_place(student=bob, kind=bursar, reason="Unpaid.")
    registrar_client.post(HOLDS, {"action": "lift", "_selected_action": [lifted.pk]})

    listed = registrar_client.get(HOLDS, {"state": "active"})
    assert [hold.pk for hold in listed.context["cl"].result_list] == [active.pk]
    again = registrar_client.post(HOLDS, {"action": "lift", "_selected_action": [lifted.pk, active.pk]})
    assert messages_of(again) == ["1 hold lifted; 1 already lifted."]
    assert not Hold.objects.active().exists()
    page = registrar_client.get(reverse("admin:enrollment_hold_change", args=[active.pk]))
    assert page.context["title"] == "View hold"
    assert registrar_client.get(reverse("admin:enrollment_hold_add")).status_code == 403


def test_the_registrar_keeps_the_list_of_kinds_and_a_kind_in_use_stays(registrar_client, bursar):
    add = reverse("admin:enrollment_holdkind_add")
    response = registrar_client.post(add, {"code": "library", "name": "Library", "office": "the Library desk"})
    assert response.status_code == 302 and HoldKind.objects.filter(code="library").exists()

    hold_place(student=UserFactory(), kind=bursar, reason="Unpaid.")
    delete = reverse("admin:enrollment_holdkind_delete", args=[bursar.pk])
    refused = registrar_client.post(delete, {"post": "yes"})
    assert refused.status_code == 200 and "Cannot delete hold kind" in refused.content.decode()
    assert HoldKind.objects.filter(pk=bursar.pk).exists()
