"""Enrolling, swapping, listing, dropping and withdrawing from the caller's own enrollments, through
enrollment.services and enrollment.swaps, and why the caller may or may not enroll in a course."""

import datetime
from typing import Annotated

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Router, Schema, Status

from catalog.api import CourseCode
from catalog.models import Course, normalize_course_code
from school.api.auth import TOKEN_OR_SESSION
from school.api.errors import ReasonOut, api_error, errors
from school.api.throttling import WRITES

from .eligibility import enrollment_eligibility
from .grade_sheets import GradesClosed
from .holds import HoldAlreadyLifted
from .models import Enrollment, Via
from .models import Status as EnrollmentStatus
from .selectors import student_enrollments, waitlist_positions
from .services import (
    AlreadyEnrolled,
    EnrollmentError,
    NotEnrolled,
    TryAgain,
    enrollment_create,
    enrollment_drop,
    enrollment_withdraw,
)
from .swaps import enrollment_swap

router = Router(tags=["enrollments"], auth=TOKEN_OR_SESSION)

ObjectIdString = Annotated[str, Path(pattern=r"^[0-9a-f]{24}$", description="The enrollment's id.")]
# A refusal that contradicts the current state (retrying the same request
# cannot help), or a clash with a concurrent change of the same state
# (retrying can), is a conflict; any other refusal by a rule is 422.
CONFLICTS = (AlreadyEnrolled, NotEnrolled, TryAgain, GradesClosed, HoldAlreadyLifted)


def refused(request, exc: EnrollmentError) -> JsonResponse:
    """The API's answer to a refusal by enrollment.services (registered in school.api.urls)."""
    status = 409 if isinstance(exc, CONFLICTS) else 422
    return api_error(status, exc.code, exc.message, reasons=exc.reasons)


class EnrollIn(Schema):
    course: str = Field(min_length=1, max_length=16, description="The course's code.", examples=["CS101"])


class SwapIn(Schema):
    drop: str = Field(min_length=1, max_length=16, description="The code of the course the caller gives up.",
                      examples=["CS101"])
    enroll: str = Field(min_length=1, max_length=16, description="The code of the course to take in its place.",
                        examples=["CS102"])


class EnrollmentOut(Schema):
    id: str
    course: str = Field(validation_alias="course.code", description="The course's code.")
    title: str = Field(validation_alias="course.title")
    term: str = Field(validation_alias="course.term.slug", description="The term's slug.")
    credits: int = Field(validation_alias="course.credits")
    status: EnrollmentStatus
    grade: str
    waitlist_position: int | None = Field(None, description="1 for the next student to get a seat.")
    replaces: str | None = Field(
        None, description="A waiting swap: the code of the course dropped when this one's seat comes up."
    )
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_id(enrollment):
        return str(enrollment.pk)


class EligibilityOut(Schema):
    course: str = Field(validation_alias="course.code")
    can_enroll: bool
    will_waitlist: bool = Field(description="Enrolling now would put the caller on the waitlist.")
    reasons: list[ReasonOut] = Field(description="Everything that stands in the way, blocking or not.")


def _callers(request, enrollment_id: str) -> Enrollment:
    """One of the caller's own enrollments: anyone else's is "not found", never shown."""
    return get_object_or_404(Enrollment.objects.with_course(), pk=enrollment_id, student=request.auth)


def _with_positions(enrollments: list[Enrollment], replaces: dict | None = None) -> list[Enrollment]:
    """Each enrollment with its waitlist position and, for a waiting swap, the code of the course it replaces,
    found among ``enrollments`` or in ``replaces`` ({enrollment id: course code})."""
    positions = waitlist_positions(enrollments)
    codes = {**{e.pk: e.course.code for e in enrollments}, **(replaces or {})}
    for enrollment in enrollments:
        enrollment.waitlist_position = positions.get(enrollment.pk)
        enrollment.replaces = codes.get(enrollment.swap_for_id) if enrollment.is_waiting_swap else None
    return enrollments


@router.post(
    "/enroll/",
    throttle=WRITES,
    response={201: EnrollmentOut, **errors(400, 401, 403, 404, 409, 422, 429)},
    summary="Enroll the caller, or put them on the waitlist",
)
def enroll(request, payload: EnrollIn):
    course = get_object_or_404(Course.objects.with_term(), code=normalize_course_code(payload.course))
    enrollment = enrollment_create(student=request.auth, course=course, via=Via.API)
    return Status(201, _with_positions([enrollment])[0])


@router.post(
    "/swap/",
    throttle=WRITES,
    response={201: EnrollmentOut, **errors(400, 401, 403, 404, 409, 422, 429)},
    summary="Enroll the caller in a course instead of one they hold, or wait for it with that one as the swap",
    description=(
        "With a free seat in `enroll`, the caller is enrolled in it and `drop` is dropped; when `enroll` is full, "
        "the caller joins its waitlist and keeps `drop` until promoted, when `drop` is dropped in the same step "
        "(`replaces` names it meanwhile). `enroll` is weighed with `drop` already dropped; a refusal changes "
        "nothing and lists every reason."
    ),
)
def swap(request, payload: SwapIn):
    drop, enroll = normalize_course_code(payload.drop), normalize_course_code(payload.enroll)
    courses = {course.code: course for course in Course.objects.with_term().filter(code__in=[drop, enroll])}
    replacing, course = courses.get(drop), courses.get(enroll)
    if replacing is None or course is None:
        raise Http404
    enrollment = enrollment_swap(student=request.auth, course=course, replacing=replacing, via=Via.API)
    return Status(201, _with_positions([enrollment], {enrollment.swap_for_id: replacing.code})[0])


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
    return enrollment_drop(enrollment=_callers(request, enrollment_id), actor=request.auth, via=Via.API)


@router.post(
    "/enrollments/{enrollment_id}/withdraw/",
    throttle=WRITES,
    response={200: EnrollmentOut, **errors(400, 401, 403, 404, 409, 422, 429)},
    summary="Withdraw from one of the caller's courses after its drop deadline (grade W)",
)
def enrollment_withdrawal(request, enrollment_id: ObjectIdString):
    """Between the term's drop and withdrawal deadlines: the course stays on the transcript with a W and its
    seat goes to the waitlist. Before the drop deadline, drop instead (422 ``withdrawal_not_open``)."""
    return enrollment_withdraw(enrollment=_callers(request, enrollment_id), actor=request.auth, via=Via.API)


@router.get(
    "/courses/{code}/eligibility/",
    response={200: EligibilityOut, **errors(400, 401, 404)},
    summary="Why the caller may or may not enroll",
    tags=["courses"],
    # Kept from when the catalog served it: clients generated from the schema name their call by it.
    operation_id="catalog_api_course_eligibility",
)
def course_eligibility(request, code: CourseCode):
    course = get_object_or_404(Course.objects.with_term(), code=normalize_course_code(code))
    return enrollment_eligibility(student=request.auth, course=course)
