"""Accounts as JSON: the public sign-up (rate limited) and, for staff, the list of users."""

import datetime
from typing import Annotated

from allauth.account.adapter import get_adapter
from allauth.account.forms import SignupForm
from allauth.account.models import EmailAddress
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema, Status

from school.api.auth import TOKEN_OR_SESSION, require_permission
from school.api.errors import InvalidInput, errors
from school.api.pagination import Page, PageParams, paginate
from school.api.throttling import SIGNUPS

from .adapters import EmailTaken
from .models import User

router = Router(tags=["users"])

StudentNumber = Annotated[int, Path(ge=1, le=2**31 - 1, description="The user's student number.")]


class UserOut(Schema):
    user_id: int = Field(validation_alias="student_number", description="The student number.")
    email: str
    first_name: str
    last_name: str
    is_staff: bool
    date_joined: datetime.datetime


class SignupIn(Schema):
    email: str = Field(max_length=254, examples=["grace@example.edu"], json_schema_extra={"format": "email"},
                       description="Not yet registered.")
    password: str = Field(max_length=4096, examples=["a-long-passphrase-of-yours"],
                          description="At least 8 characters, not only digits, neither a common password nor "
                                      "close to the names or email (Django's password validators).")
    first_name: str = Field(max_length=50, examples=["Grace"])
    last_name: str = Field(max_length=50, examples=["Hopper"])


@router.get("/", auth=TOKEN_OR_SESSION, response={200: Page[UserOut], **errors(400, 401, 403)},
            summary="Every user (staff only)")
def user_list(request, params: Query[PageParams]):
    require_permission(request, "accounts.view_user")
    return paginate(request, User.objects.all(), params.page)


@router.get("/{user_id}/", auth=TOKEN_OR_SESSION, response={200: UserOut, **errors(400, 401, 403, 404)},
            summary="One user (staff only)")
def user_detail(request, user_id: StudentNumber):
    require_permission(request, "accounts.view_user")
    return get_object_or_404(User, student_number=user_id)


@router.post("/", throttle=SIGNUPS, response={201: UserOut, **errors(400, 429)}, summary="Sign up as a student")
def user_create(request, payload: SignupIn):
    """The sign-up page's own form, so the rules are the same: names, a unique email, Django's password validators."""
    form = SignupForm(data={**payload.dict(), "password1": payload.password, "password2": payload.password})
    if form.is_valid() and form.account_already_exists:
        # The page hides a taken address behind a "check your email" answer;
        # an API client needs the reason, and the rate limit bounds probing.
        form.add_error("email", get_adapter().error_messages["email_taken"])
    if not form.is_valid():
        raise InvalidInput({"password" if field == "password1" else field: list(messages)
                            for field, messages in form.errors.items()})
    try:
        user = form.save(request)
    except EmailTaken:
        # A sign-up in parallel took the address between the check above and this save.
        raise InvalidInput({"email": [get_adapter().error_messages["email_taken"]]}) from None
    EmailAddress.objects.get_primary(user).send_confirmation(request, signup=True)
    return Status(201, user)
