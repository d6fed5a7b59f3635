"""What instructors see and do: the courses they teach, their rosters, where their grades stand, permits.

Being assigned to a course (``catalog.CourseInstructor``) is what opens its
pages to an instructor, never the Instructor group alone; registrars (staff
who may change enrollments) see every course's. Each read is a fixed number
of queries, whatever the size of the class: a course's assignment, term and
grade sheet come in one joined read, its students in one more.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format

from accounts.instructor_group import is_instructor
from catalog.models import Course, CourseInstructor, normalize_course_code

from .models import Enrollment, GradeSheet, Permit, Status, Via
from .services import AlreadyEnrolled, EnrollmentError
from .waivers import Waiver

INSTRUCTOR, REGISTRAR = "instructor", "registrar"
# Set at login: whether the site's navigation offers the Teaching pages.
TEACHES_SESSION_KEY = "teaches"


class PermitRefused(EnrollmentError):
    code = "invalid_permit"


@dataclass
class GradesState:
    code: str  # "not_due", "due", "submitted" or "overdue"
    message: str  # "due by …": follows "Grades"


@dataclass
class TaughtCourse:
    """A course as one who may see its teaching pages sees it: ``role`` says as whom."""

    course: Course
    role: str

    @property
    def sheet(self) -> GradeSheet | None:
        try:
            return self.course.grade_sheet
        except GradeSheet.DoesNotExist:
            return None

    @property
    def may_grade(self) -> bool:
        """Registrars change grades in the admin, with a reason; the sheet is the instructors'."""
        return self.role == INSTRUCTOR

    def grades_state(self, now=None) -> GradesState:
        return grades_state(self.course.term, self.sheet, now)


def grades_state(term, sheet: GradeSheet | None, now=None) -> GradesState:
    now = now or timezone.now()
    due = date_format(timezone.localtime(term.grades_due_at), "DATETIME_FORMAT")
    if sheet is not None and sheet.submitted_at:
        return GradesState("submitted", f"submitted {date_format(timezone.localtime(sheet.submitted_at))}")
    if now >= term.grades_due_at:
        return GradesState("overdue", f"overdue: due {due}")
    if now >= term.grading_opens_at:
        return GradesState("due", f"due by {due}")
    return GradesState("not_due", f"due from {date_format(term.ends_on)} until {due}")


def courses_taught(*, user) -> list[TaughtCourse]:
    """The courses user teaches, newest term first, each with its term and grade sheet: one query.

    PermissionDenied for someone who teaches nothing and is no instructor (a
    second query, for them only).
    """
    links = (
        CourseInstructor.objects.filter(instructor=user)
        .select_related("course__term", "course__grade_sheet")
        .order_by("-course__term__starts_on", "course__code")
    )
    taught = [TaughtCourse(link.course, INSTRUCTOR) for link in links]
    if not taught and not is_instructor(user):
        raise PermissionDenied("You teach no course.")
    return taught


def teaching_course(*, user, code: str) -> TaughtCourse:
    """The course with this code, if user teaches it or is a registrar: one query for its instructors.

    Http404 for no such course, PermissionDenied for anyone else (another
    instructor, a student).
    """
    code = normalize_course_code(code)
    link = (
        CourseInstructor.objects.filter(instructor=user, course__code=code)
        .select_related("course__term", "course__grade_sheet")
        .first()
    )
    if link is not None:
        return TaughtCourse(link.course, INSTRUCTOR)
    course = Course.objects.with_term().select_related("grade_sheet").filter(code=code).first()
    if course is None:
        raise Http404("No such course.")
    if not is_registrar(user):
        raise PermissionDenied(f"You do not teach {course.code}.")
    return TaughtCourse(course, REGISTRAR)


def remember_teaching(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: one query at login, so that no page asks whether to show the Teaching link."""
    request.session[TEACHES_SESSION_KEY] = is_instructor(user)


def is_registrar(user) -> bool:
    return user.is_staff and user.has_perm("enrollment.change_enrollment")


@dataclass
class Roster:
    enrolled: list[Enrollment]
    waitlisted: list[Enrollment]

    @property
    def emails(self) -> list[str]:
        return [e.student.email for e in self.enrolled]


def course_roster(*, course: Course) -> Roster:
    """The enrolled students by name and the waitlist in its order, with their accounts: one query."""
    enrollments = list(Enrollment.objects.filter(course=course).active().select_related("student"))
    for enrollment in enrollments:
        enrollment.course = course
    enrolled = sorted(
        (e for e in enrollments if e.status == Status.ENROLLED),
        key=lambda e: (e.student.last_name.lower(), e.student.first_name.lower(), e.student.email),
    )
    waitlisted = sorted(
        (e for e in enrollments if e.status == Status.WAITLISTED), key=lambda e: (e.waitlisted_at, e.pk)
    )
    for position, enrollment in enumerate(waitlisted, start=1):
        enrollment.waitlist_position = position
    return Roster(enrolled=enrolled, waitlisted=waitlisted)


def course_permits(*, course: Course, now=None) -> list[Permit]:
    """The permits issued for course, newest first, with who they are for and from, each with its ``state``: one query.

    The state is "used", "expired", "replaced" (by a newer permit for the
    same student, which is the one that counts) or "valid".
    """
    today = timezone.localdate(now)
    permits = list(Permit.objects.filter(course=course).select_related("student", "issued_by"))
    newer_for = set()
    for permit in permits:
        if permit.used_at:
            permit.state = "used"
        elif permit.student_id in newer_for:
            permit.state = "replaced"
        elif permit.valid_until < today:
            permit.state = "expired"
        else:
            permit.state = "valid"
        newer_for.add(permit.student_id)
    return permits


def permit_issue(*, taught: TaughtCourse, student, waives: list[str], valid_until: datetime.date, actor,
                 via: str = Via.TEACHING, now=None) -> Permit:
    """Let student enroll in the course past the rules ``waives`` names, once, until ``valid_until`` (inclusive).

    ``taught`` is the course as teaching_course gave it to actor. The
    course's ``permits_until`` is raised first (enrollment.permits), so
    eligibility never overlooks the permit.
    """
    course = taught.course
    today = timezone.localdate(now)
    waives = sorted(set(waives))
    if not waives or set(waives) - set(Waiver.values):
        raise PermitRefused(f"Choose the rules to waive from: {', '.join(Waiver.values)}.")
    if valid_until < today:
        raise PermitRefused("A permit's last day cannot be in the past.")
    if valid_until > course.term.ends_on:
        raise PermitRefused(f"A permit for {course.code} cannot outlast its term ({date_format(course.term.ends_on)}).")
    if student.pk == actor.pk:
        raise PermitRefused("You cannot issue a permit to yourself.")
    if Enrollment.objects.filter(student=student, course=course, status=Status.ENROLLED).exists():
        raise AlreadyEnrolled(f"{student} is already enrolled in {course.code}.")
    Course.objects.filter(pk=course.pk).filter(
        Q(permits_until__isnull=True) | Q(permits_until__lt=valid_until)
    ).update(permits_until=valid_until)
    course.permits_until = max(filter(None, [course.permits_until, valid_until]))
    return Permit.objects.create(
        student=student, course=course, waives=waives, valid_until=valid_until, issued_by=actor, via=via
    )
