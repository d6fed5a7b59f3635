"""The catalog as JSON: the same search and filters as the catalog page."""

import datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema
from pydantic import WithJsonSchema

from school.api.auth import TOKEN_OR_SESSION
from school.api.errors import InvalidInput, errors
from school.api.pagination import Page, PageParams, paginate
from school.api.throttling import WRITES

from .forms import CourseFilterForm, InstructorEmailsField
from .instructors import course_set_instructors, instructor_emails
from .models import Course, normalize_course_code
from .selectors import course_prerequisites, with_terms

router = Router(tags=["courses"])

CourseCode = Annotated[str, Path(min_length=1, max_length=16, example="CS101")]
# The school's wall-clock time, without an offset: OpenAPI's "time" format
# requires one, which a meeting time does not have.
LocalTime = Annotated[datetime.time, WithJsonSchema({
    "type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?$", "examples": ["14:00:00"],
    "description": "Local time at the school (its time zone), HH:MM:SS.",
})]


class TermOut(Schema):
    slug: str
    name: str
    starts_on: datetime.date
    ends_on: datetime.date
    enrollment_opens_at: datetime.datetime
    enrollment_closes_at: datetime.datetime
    drop_deadline: datetime.datetime
    withdraw_deadline: datetime.datetime = Field(
        description="After the drop deadline and until this one, a student withdraws (grade W) instead of dropping."
    )


class ScheduleOut(Schema):
    days: str = Field(description="Letters from MTWRFSU (R is Thursday, U is Sunday); empty when unscheduled.")
    starts_at: LocalTime | None
    ends_at: LocalTime | None
    display: str


class CourseOut(Schema):
    code: str
    title: str
    instructor: str
    credits: int
    term: TermOut
    schedule: ScheduleOut
    capacity: int
    seats_left: int
    waitlist_count: int

    @staticmethod
    def resolve_schedule(course):
        return {"days": course.meeting_days, "starts_at": course.starts_at, "ends_at": course.ends_at,
                "display": course.schedule_display}


class CourseDetailOut(CourseOut):
    description: str
    prerequisites: list[str] = Field(description="Codes of the courses to pass first.")

    @staticmethod
    def resolve_prerequisites(course):
        return [prerequisite.code for prerequisite in course_prerequisites(course)]


class CourseFilters(PageParams):
    q: str = Field("", max_length=100, pattern=r"^[^\x00]*$", description="Text in the code, title or instructor.")
    term: str = Field("", max_length=60, description="A term's slug, e.g. fall-2026; a term that does not exist "
                      "has no courses.")
    open_seats: bool = Field(False, description="Only courses with a free seat.")


class InstructorsIn(Schema):
    instructors: list[Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(
        max_length=50, description="The email addresses of everyone who teaches the course.",
        examples=[["mensah@example.edu"]],
    )


class InstructorsOut(Schema):
    course: str
    instructor: str = Field(description="The name the catalog shows.")
    instructors: list[str] = Field(description="The email addresses of the users who teach the course.")


@router.get("/", response={200: Page[CourseOut], **errors(400)}, summary="Search the catalog")
def course_list(request, filters: Query[CourseFilters]):
    form = CourseFilterForm(filters.dict(exclude={"page"}))
    if form.errors.keys() == {"term"}:
        # The schema cannot list the terms that exist: an unknown one is an empty list, not an error.
        return paginate(request, Course.objects.none(), filters.page)
    if not form.is_valid():
        raise InvalidInput(form.errors)
    page = paginate(request, form.filter(Course.objects.all()), filters.page)
    return {**page, "results": with_terms(page["results"])}


@router.get("/{code}/", response={200: CourseDetailOut, **errors(400, 404)}, summary="A course")
def course_detail(request, code: CourseCode):
    return get_object_or_404(Course.objects.with_term(), code=normalize_course_code(code))


@router.get("/{code}/instructors/", auth=TOKEN_OR_SESSION, response={200: InstructorsOut, **errors(400, 401, 403, 404)},
            summary="Who teaches a course (staff only)")
def course_instructors(request, code: CourseCode):
    course = _course_for(request, code, "catalog.view_course")
    return _instructors_of(course)


@router.put("/{code}/instructors/", auth=TOKEN_OR_SESSION, throttle=WRITES,
            response={200: InstructorsOut, **errors(400, 401, 403, 404, 429)},
            summary="Set who teaches a course, by email (staff only)")
def course_instructors_set(request, code: CourseCode, payload: InstructorsIn):
    course = _course_for(request, code, "catalog.change_course")
    field = InstructorEmailsField(required=False)
    try:
        users = field.clean(payload.instructors)
    except ValidationError as error:
        raise InvalidInput({"instructors": error.messages}) from None
    course_set_instructors(course=course, instructors=users)
    return _instructors_of(course)


def _course_for(request, code: str, permission: str) -> Course:
    if not (request.auth.is_staff and request.auth.has_perm(permission)):
        raise PermissionDenied("Only registrars can do that.")
    return get_object_or_404(Course, code=normalize_course_code(code))


def _instructors_of(course: Course) -> dict:
    emails = instructor_emails(courses=[course]).get(course.code, [])
    return {"course": course.code, "instructor": course.instructor, "instructors": emails}
