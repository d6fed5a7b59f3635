"""Enrolling, listing and dropping the caller's own enrollments, through enrollment.services."""

import datetime
from typing import Annotated

from django.shortcuts import get_object_or_404
from ninja import Field, Path, Router, Schema, Status

from catalog.models import Course
from school.api.auth import TOKEN_OR_SESSION
from school.api.errors import errors
from school.api.throttling import WRITES

from .models import Enrollment, Via
from .models import Status as EnrollmentStatus
from .selectors import student_enrollments, waitlist_positions
from .services import enrollment_create, enrollment_drop

router = Router(tags=["enrollments"], auth=TOKEN_OR_SESSION)

ObjectIdString = Annotated[str, Path(pattern=r"^[0-9a-f]{24}$", description="The enrollment's id.")]


class EnrollIn(Schema):
    course: str = Field(min_length=1, max_length=16, description="The course's code.", examples=["CS101"])


class EnrollmentOut(Schema):
    id: str
    course: str = Field(validation_alias="course.code", description="The course's code.")
    title: str = Field(validation_alias="course.title")
    term: str = Field(validation_alias="course.term.slug", description="The term's slug.")
    credits: int = Field(validation_alias="course.credits")
    status: EnrollmentStatus
    grade: str
    waitlist_position: int | None = Field(None, description="1 for the next student to get a seat.")
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_id(enrollment):
        return str(enrollment.pk)


def _with_positions(enrollments: list[Enrollment]) -> list[Enrollment]:
    positions = waitlist_positions(enrollments)
    for enrollment in enrollments:
        enrollment.waitlist_position = positions.get(enrollment.pk)
    return enrollments


@router.post(
    "/enroll/",
    throttle=WRITES,
    response={201: EnrollmentOut, **errors(400, 401, 403, 404, 409, 422, 429)},
    summary="Enroll the caller, or put them on the waitlist",
)
def enroll(request, payload: EnrollIn):
    course = get_object_or_404(Course.objects.with_term(), code=payload.course)
    enrollment = enrollment_create(student=request.auth, course=course, via=Via.API)
    return Status(201, _with_positions([enrollment])[0])


@router.get("/enrollments/", response={200: list[EnrollmentOut], **errors(401)}, summary="The caller's enrollments")
def enrollment_list(request):
    return _with_positions(student_enrollments(student=request.auth))


@router.delete(
    "/enrollments/{enrollment_id}/",
    throttle=WRITES,
    response={200: EnrollmentOut, **errors(400, 401, 403, 404, 409, 422, 429)},
    summary="Drop one of the caller's enrollments, or leave a waitlist",
)
def enrollment_delete(request, enrollment_id: ObjectIdString):
    # Only the caller's own: anyone else's is "not found", never shown.
    enrollment = get_object_or_404(Enrollment.objects.with_course(), pk=enrollment_id, student=request.auth)
    return enrollment_drop(enrollment=enrollment, actor=request.auth, via=Via.API)
