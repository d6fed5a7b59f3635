import re

import pytest
from django import forms

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("db")


def tag(html: str, element_id: str) -> str:
    return re.search(rf'<[^>]*\bid="{element_id}"[^>]*>', html).group(0)


def test_a_wrong_password_is_tied_to_the_fields_it_concerns(client):
    UserFactory(email="ada@example.edu")
    html = client.post("/accounts/login/", {"login": "ada@example.edu", "password": "wrong"}).content.decode()
    assert '<ul class="errorlist nonfield" id="id___all___error"><li>The email address and/or password' in html
    for field in ("id_login", "id_password"):
        assert 'aria-invalid="true"' in tag(html, field)
        assert re.search(r'aria-describedby="[^"]*\bid___all___error\b', tag(html, field))


def test_field_errors_keep_their_own_description_and_a_valid_form_is_left_alone(client):
    html = client.post("/accounts/signup/", {"email": "not-an-email"}).content.decode()
    email = tag(html, "id_email")
    assert 'aria-invalid="true"' in email and 'aria-describedby="id_email_error"' in email
    assert 'id="id_email_error"' in html

    html = client.get("/accounts/login/").content.decode()
    assert "aria-invalid" not in html and "___all__" not in html


def test_a_prefixed_form_gets_ids_of_its_own():
    class Pair(forms.Form):
        first = forms.CharField()
        hidden = forms.CharField(widget=forms.HiddenInput, required=False)

        def clean(self):
            raise forms.ValidationError("These do not go together.")

    html = Pair({"pair-first": "x"}, prefix="pair").as_p()
    assert 'id="id_pair-__all___error"' in html
    assert 'aria-describedby="id_pair-__all___error"' in tag(html, "id_pair-first")
    assert "aria-invalid" not in tag(html, "id_pair-hidden")
