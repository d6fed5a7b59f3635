from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from catalog.models import Course, normalize_course_code

from .eligibility import enrollment_eligibility
from .models import Status, Via
from .selectors import student_enrollments, student_term_summary, student_transcript
from .services import EnrollmentError, enrollment_create, enrollment_drop


@require_safe
def home(request):
    summary = student_term_summary(student=request.user) if request.user.is_authenticated else None
    return render(request, "home.html", {"summary": summary})


@login_required
@require_safe
def my_enrollments(request):
    return render(request, "enrollment/my_enrollments.html", {
        "transcript": student_transcript(student=request.user), "page_url": request.path,
    })


def course_section(sender, *, request, course, prerequisites, **kwargs) -> str:
    """The course page's "Your enrollment": the student's place, or every reason before they press Enroll.

    Connected to catalog.signals.course_page_sections (enrollment.apps).
    """
    eligibility = None
    if request.user.is_authenticated:
        eligibility = enrollment_eligibility(
            student=request.user,
            course=course,
            enrollments=student_enrollments(student=request.user),
            prerequisites=prerequisites,
        )
    return render_to_string(
        "enrollment/course_section.html", {"course": course, "eligibility": eligibility}, request=request
    )


@login_required
@require_POST
def course_enroll(request, code):
    course = get_object_or_404(Course.objects.with_term(), code=normalize_course_code(code))
    try:
        enrollment = enrollment_create(student=request.user, course=course, via=Via.PAGE)
    except EnrollmentError as error:
        messages.error(request, error.message)
    else:
        if enrollment.status == Status.ENROLLED:
            messages.success(request, f"You are enrolled in {course.code} {course.title}.")
        else:
            messages.info(request, f"{course.code} is full: you are on its waitlist.")
    return _back(request, course)


@login_required
@require_POST
def course_drop(request, code):
    course = get_object_or_404(Course.objects.with_term(), code=normalize_course_code(code))
    enrollment = request.user.enrollments.filter(course=course).first()
    if enrollment is None:
        messages.error(request, f"You are not enrolled in {course.code}.")
        return redirect(course)
    enrollment.course = course
    was_waitlisted = enrollment.status == Status.WAITLISTED
    try:
        enrollment_drop(enrollment=enrollment, actor=request.user, via=Via.PAGE)
    except EnrollmentError as error:
        messages.error(request, error.message)
    else:
        done = "left the waitlist for" if was_waitlisted else "dropped"
        messages.success(request, f"You have {done} {course.code} {course.title}.")
    return _back(request, course)


def _back(request, course):
    """Return to the page the form was on (My enrollments) or to the course."""
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect(course)
