"""Holds as JSON, for staff with the registrar's rights: list, place, lift (through enrollment.holds).

Students see their own holds as reasons on ``/api/courses/<code>/eligibility/``
and ``/api/enroll/`` (``code: "hold"``), and on their profile and home pages.
"""

import datetime
from typing import Annotated

from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema, Status

from catalog.importing import Row
from school.api.auth import TOKEN_OR_SESSION, require_permission
from school.api.errors import InvalidInput, errors
from school.api.pagination import Page, PageParams, paginate
from school.api.throttling import WRITES

from .hold_import import plan_holds
from .holds import hold_lift, hold_place
from .models import Hold, Via

router = Router(tags=["holds"], auth=TOKEN_OR_SESSION)

HoldId = Annotated[str, Path(pattern=r"^[0-9a-f]{24}$", description="The hold's id.")]


class HoldOut(Schema):
    id: str
    student: int = Field(validation_alias="student.student_number", description="The student's number.")
    student_email: str = Field(validation_alias="student.email")
    kind: str = Field(validation_alias="kind.code")
    office: str = Field(validation_alias="kind.office", description="Whom the student is told to contact.")
    reason: str = Field(description="Shown to the student.")
    active: bool = Field(validation_alias="is_active")
    placed_at: datetime.datetime
    placed_by: str | None = Field(description="The email of who placed it; null for a file's import.")
    placed_via: Via
    lifted_at: datetime.datetime | None
    lifted_by: str | None

    @staticmethod
    def resolve_id(hold):
        return str(hold.pk)

    @staticmethod
    def resolve_placed_by(hold):
        return hold.placed_by.email if hold.placed_by else None

    @staticmethod
    def resolve_lifted_by(hold):
        return hold.lifted_by.email if hold.lifted_by else None


class HoldFilters(PageParams):
    student: int | None = Field(None, ge=1, le=2**31 - 1, description="Only this student number's holds.")
    active: bool | None = Field(None, description="Only active (true) or lifted (false) holds.")


class HoldIn(Schema):
    student: str = Field(min_length=1, max_length=254, description="The student's email or number.",
                         examples=["ada@example.edu"])
    kind: str = Field(min_length=1, max_length=30, description="A hold kind's code.", examples=["bursar"])
    reason: str = Field(min_length=1, max_length=300, description="Shown to the student.",
                        examples=["Your tuition for this term is unpaid."])


def _with_people(holds):
    return holds.select_related("student", "kind", "placed_by", "lifted_by")


@router.get("/", response={200: Page[HoldOut], **errors(400, 401, 403)}, summary="Holds, newest first (staff)")
def hold_list(request, filters: Query[HoldFilters]):
    require_permission(request, "enrollment.view_hold")
    holds = _with_people(Hold.objects.order_by("-placed_at", "-id"))
    if filters.student is not None:
        holds = holds.filter(student__student_number=filters.student)
    if filters.active is not None:
        holds = holds.active() if filters.active else holds.exclude(lifted_at=None)
    return paginate(request, holds, filters.page)


@router.post("/", throttle=WRITES, response={200: HoldOut, 201: HoldOut, **errors(400, 401, 403, 409, 429)},
             summary="Place a hold (staff); 200 when the student already had one of the kind")
def hold_create(request, payload: HoldIn):
    """Validated as a row of ``import_holds`` is: an unknown student or kind is a 400 naming the field.
    An active hold of the kind is kept, with this reason."""
    require_permission(request, "enrollment.add_hold")
    plan = plan_holds([Row(line=1, data=payload.dict())])
    if plan.errors:
        fields: dict[str, list[str]] = {}
        for error in plan.errors:
            fields.setdefault(error.field, []).append(error.message)
        raise InvalidInput(fields)
    (form,) = [*plan.create, *plan.update, *plan.unchanged]
    hold, created = hold_place(student=form.cleaned_data["student"], kind=form.cleaned_data["kind"],
                               reason=form.cleaned_data["reason"], actor=request.auth, via=Via.API)
    return Status(201 if created else 200, _with_people(Hold.objects).get(pk=hold.pk))


@router.post("/{hold_id}/lift/", throttle=WRITES, response={200: HoldOut, **errors(400, 401, 403, 404, 409, 429)},
             summary="Lift a hold (staff)")
def hold_lift_endpoint(request, hold_id: HoldId):
    require_permission(request, "enrollment.change_hold")
    hold = get_object_or_404(_with_people(Hold.objects), pk=hold_id)
    hold_lift(hold=hold, actor=request.auth)
    return _with_people(Hold.objects).get(pk=hold.pk)
