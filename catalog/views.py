from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from enrollment.eligibility import enrollment_eligibility
from enrollment.models import Via
from enrollment.selectors import student_enrollments
from enrollment.services import EnrollmentError, enrollment_create, enrollment_drop

from .forms import CourseFilterForm
from .models import Course
from .selectors import course_prerequisites

COURSES_PER_PAGE = 20


@require_safe
def course_list(request):
    form = CourseFilterForm(request.GET or None)
    courses = Course.objects.with_term()
    courses = form.filter(courses) if form.is_valid() else courses.order_by("code")
    page = Paginator(courses, COURSES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "catalog/course_list.html",
        {"form": form, "page": page, "courses": page.object_list, "query": query.urlencode()},
    )


@require_safe
def course_detail(request, code):
    course = get_object_or_404(Course.objects.with_term(), code=code)
    prerequisites = course_prerequisites(course)
    eligibility = None
    if request.user.is_authenticated:
        eligibility = enrollment_eligibility(
            student=request.user,
            course=course,
            enrollments=student_enrollments(student=request.user),
            prerequisites=prerequisites,
        )
    return render(
        request,
        "catalog/course_detail.html",
        {"course": course, "prerequisites": prerequisites, "eligibility": eligibility},
    )


@login_required
@require_POST
def course_enroll(request, code):
    course = get_object_or_404(Course.objects.with_term(), code=code)
    try:
        enrollment = enrollment_create(student=request.user, course=course, via=Via.PAGE)
    except EnrollmentError as error:
        messages.error(request, error.message)
    else:
        if enrollment.status == "enrolled":
            messages.success(request, f"You are enrolled in {course.code} {course.title}.")
        else:
            messages.info(request, f"{course.code} is full: you are on its waitlist.")
    return _back(request, course)


@login_required
@require_POST
def course_drop(request, code):
    course = get_object_or_404(Course.objects.with_term(), code=code)
    enrollment = request.user.enrollments.filter(course=course).first()
    if enrollment is None:
        messages.error(request, f"You are not enrolled in {course.code}.")
        return redirect(course)
    enrollment.course = course
    was_waitlisted = enrollment.status == "waitlisted"
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
