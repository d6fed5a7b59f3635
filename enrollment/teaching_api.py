"""The teaching pages as JSON: my courses, a roster, a grade sheet (saved or submitted), permits.

The same reads, access rules and services as the pages (enrollment.teaching,
enrollment.grade_sheets): another instructor's course, or a student, is a
403; a submitted sheet takes no more grades from anyone here either.
"""

import datetime
from typing import Annotated, Literal

from django.contrib.auth import get_user_model
from ninja import Field, Router, Schema, Status

from catalog.api import CourseCode
from school.api.auth import TOKEN_OR_SESSION
from school.api.errors import InvalidInput, errors
from school.api.throttling import WRITES

from .grade_sheets import GradeSheetPage, grade_sheet_page, grade_sheet_save
from .grades import Grade
from .models import Via
from .teaching import TaughtCourse, course_roster, courses_taught, grades_state, permit_issue, teaching_course
from .waivers import Waiver

router = Router(tags=["teaching"], auth=TOKEN_OR_SESSION)

StudentNumberKey = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,9}$")]
GradeOrNone = Literal[("", *Grade.values)]


class GradesStateOut(Schema):
    code: Literal["not_due", "due", "submitted", "overdue"]
    message: str


class TaughtCourseOut(Schema):
    code: str = Field(validation_alias="course.code")
    title: str = Field(validation_alias="course.title")
    term: str = Field(validation_alias="course.term.slug", description="The term's slug.")
    enrolled: int = Field(validation_alias="course.enrolled_count")
    capacity: int = Field(validation_alias="course.capacity")
    waitlisted: int = Field(validation_alias="course.waitlist_count")
    grades_due_at: datetime.datetime = Field(validation_alias="course.term.grades_due_at")
    grades: GradesStateOut

    @staticmethod
    def resolve_grades(taught: TaughtCourse):
        return taught.grades_state()


class StudentOut(Schema):
    student_number: int = Field(validation_alias="student.student_number")
    first_name: str = Field(validation_alias="student.first_name")
    last_name: str = Field(validation_alias="student.last_name")
    email: str = Field(validation_alias="student.email")
    status: str
    enrolled_at: datetime.datetime = Field(validation_alias="created_at")
    waitlisted_at: datetime.datetime | None
    waitlist_position: int | None = None


class RosterOut(Schema):
    course: str
    enrolled: list[StudentOut]
    waitlist: list[StudentOut] = Field(description="First in line first.")


class GradeRowOut(Schema):
    student_number: int
    name: str
    grade: str = Field(description="On the student's record: set once the sheet is submitted (or by the registrar).")
    draft: str = Field(description="The sheet's grade, seen by instructors only until it is submitted.")


class GradeSheetOut(Schema):
    course: str
    state: GradesStateOut
    grades_due_at: datetime.datetime
    submitted_at: datetime.datetime | None
    editable: bool = Field(description="Whether the caller can still save grades.")
    submittable: bool = Field(description="Whether the caller can submit now (from the term's last day).")
    students: list[GradeRowOut]
    problems: list[str] = Field([], description="Rows left as they were, and why (a drop or a change meanwhile).")


class GradesIn(Schema):
    grades: dict[StudentNumberKey, GradeOrNone] = Field(
        description="Student number → grade (\"\" takes a draft away). Students left out keep their draft.",
        examples=[{"1042": "A-", "1043": "B+"}],
    )
    submit: bool = Field(False, description="Submit the sheet: every enrolled student needs a grade.")


class PermitIn(Schema):
    student: int = Field(ge=1, le=2**31 - 1, description="The student's number.")
    waives: list[Waiver] = Field(min_length=1, max_length=4)
    valid_until: datetime.date = Field(description="The last day it can be used.")


class PermitOut(Schema):
    id: str
    student: int = Field(validation_alias="student.student_number")
    course: str = Field(validation_alias="course.code")
    waives: list[Waiver]
    valid_until: datetime.date
    issued_at: datetime.datetime

    @staticmethod
    def resolve_id(permit):
        return str(permit.pk)


def _sheet_out(page: GradeSheetPage, problems: list[str] = ()) -> dict:
    taught = page.taught
    return {
        "course": taught.course.code,
        "state": grades_state(taught.course.term, page.sheet, page.now),
        "grades_due_at": taught.course.term.grades_due_at,
        "submitted_at": page.sheet.submitted_at if page.sheet else None,
        "editable": page.editable,
        "submittable": page.submittable,
        "students": [
            {"student_number": e.student.student_number, "name": e.student.get_full_name() or e.student.email,
             "grade": e.grade, "draft": page.draft_of(e)}
            for e in page.enrollments
        ],
        "problems": list(problems),
    }


@router.get("/", response={200: list[TaughtCourseOut], **errors(401, 403)}, summary="The courses the caller teaches")
def taught_list(request):
    return courses_taught(user=request.auth)


@router.get("/{code}/roster/", response={200: RosterOut, **errors(400, 401, 403, 404)},
            summary="A course's enrolled students and waitlist")
def roster(request, code: CourseCode):
    taught = teaching_course(user=request.auth, code=code)
    found = course_roster(course=taught.course)
    return {"course": taught.course.code, "enrolled": found.enrolled, "waitlist": found.waitlisted}


@router.get("/{code}/grades/", response={200: GradeSheetOut, **errors(400, 401, 403, 404)},
            summary="A course's grade sheet")
def grades(request, code: CourseCode):
    return _sheet_out(grade_sheet_page(taught=teaching_course(user=request.auth, code=code)))


@router.put("/{code}/grades/", throttle=WRITES,
            response={200: GradeSheetOut, **errors(400, 401, 403, 404, 409, 422, 429)},
            summary="Save grades as a draft, or submit the sheet")
def grades_save(request, code: CourseCode, payload: GradesIn):
    page = grade_sheet_page(taught=teaching_course(user=request.auth, code=code))
    by_number = {str(e.student.student_number): str(e.pk) for e in page.enrollments}
    if unknown := sorted(set(payload.grades) - set(by_number), key=int):
        raise InvalidInput({f"grades.{number}": [f"not a student enrolled in {page.taught.course.code}"]
                            for number in unknown})
    saved = grade_sheet_save(page=page, actor=request.auth, submit=payload.submit, via=Via.API,
                             grades={by_number[number]: grade for number, grade in payload.grades.items()})
    # The saved sheet and the grades it recorded, as the page's own enrollments now hold them.
    page.sheet = saved.sheet
    return _sheet_out(page, saved.problems)


@router.post("/{code}/permits/", throttle=WRITES,
             response={201: PermitOut, **errors(400, 401, 403, 404, 409, 422, 429)},
             summary="Let a student enroll past chosen rules, once")
def permit_create(request, code: CourseCode, payload: PermitIn):
    taught = teaching_course(user=request.auth, code=code)
    student = get_user_model().objects.filter(student_number=payload.student).first()
    if student is None:
        raise InvalidInput({"student": ["no student has that number"]})
    permit = permit_issue(taught=taught, student=student, waives=[str(w) for w in payload.waives],
                          valid_until=payload.valid_until, actor=request.auth, via=Via.API)
    return Status(201, permit)
