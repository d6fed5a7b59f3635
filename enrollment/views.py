import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import quote_etag, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from accounts.models import CalendarKey
from catalog.models import Course, normalize_course_code
from catalog.selectors import term_in_enrollment, term_options

from .appointments import student_upcoming_appointments
from .calendar_feed import enrollments_calendar, student_enrollments_for_calendar
from .dashboard import cached_term_dashboard
from .eligibility import enrollment_eligibility
from .models import Status, Via
from .selectors import active_holds, student_enrollments, student_term_summary, student_transcript
from .services import EnrollmentError, enrollment_create, enrollment_drop, enrollment_withdraw
from .status import leave_option
from .swaps import enrollment_swap, swap_options
from .transcript_cache import settled_term_blocks


@require_safe
def home(request):
    context = {}
    if request.user.is_authenticated:
        context = {
            "summary": student_term_summary(student=request.user),
            "holds": active_holds(student=request.user),
            "openings": student_upcoming_appointments(student=request.user),
        }
    return render(request, "home.html", context)


@login_required
@require_safe
def my_enrollments(request):
    transcript = student_transcript(student=request.user)
    settled_term_blocks(student=request.user, transcript=transcript)
    return render(request, "enrollment/my_enrollments.html", {
        "transcript": transcript, "page_url": request.path,
        "registrar_office": settings.REGISTRAR_OFFICE,
    })


def course_section(sender, *, request, course, prerequisites, **kwargs) -> str:
    """The course page's "Your enrollment": the student's place, or every reason before they press Enroll.

    Connected to catalog.signals.course_page_sections (enrollment.apps).
    """
    eligibility, swaps, replaces = None, [], None
    option = ""
    if request.user.is_authenticated:
        enrollments = student_enrollments(student=request.user)
        holds = active_holds(student=request.user)
        eligibility = enrollment_eligibility(
            student=request.user, course=course, enrollments=enrollments, prerequisites=prerequisites, holds=holds
        )
        if eligibility.enrollment is not None:
            option = leave_option(eligibility.enrollment)
        swaps = swap_options(
            student=request.user, course=course, enrollments=enrollments, prerequisites=prerequisites, holds=holds
        )
        mine = eligibility.enrollment
        if mine is not None and mine.is_waiting_swap:
            replaces = next((e for e in enrollments if e.pk == mine.swap_for_id), None)
    return render_to_string("enrollment/course_section.html", {
        "course": course,
        "eligibility": eligibility,
        "leave_option": option,
        "registrar_office": settings.REGISTRAR_OFFICE,
        "replaces": replaces,
        "swaps": [swap for swap in swaps if swap.can_enroll],
        "blocked_swaps": [swap for swap in swaps if not swap.can_enroll],
    }, request=request)


def profile_holds_section(sender, *, request, **kwargs) -> str:
    """The profile page's holds (connected to accounts.signals.profile_page_sections in enrollment.apps)."""
    return render_to_string(
        "enrollment/holds_section.html", {"holds": active_holds(student=request.user), "always": True},
        request=request,
    )


# Registrars have these (accounts.registrar_group), superusers every permission.
DASHBOARD_PERMISSIONS = ("catalog.view_course", "enrollment.view_enrollment")


def term_dashboard_section(sender, *, request, **kwargs) -> str:
    """The admin home's term at a glance, for registrars and superusers: the term
    whose enrollment is open, or the one chosen with ?term=.

    Connected to school.admin_site.admin_index_sections (enrollment.apps).
    """
    if not request.user.has_perms(DASHBOARD_PERMISSIONS):
        return ""
    options = term_options()
    term = {option.slug: option for option in options}.get(request.GET.get("term", "")) or term_in_enrollment()
    term = term or (options[0] if options else None)
    if term is None:
        return ""
    dashboard = cached_term_dashboard(term=term)
    if dashboard is None:
        return render_to_string("admin/enrollment/term_dashboard_pending.html", {"term": term}, request=request)
    return render_to_string(
        "admin/enrollment/term_dashboard.html", {"dashboard": dashboard, "terms": options}, request=request,
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
def course_swap(request, code):
    """Enroll in the course of the page instead of the one posted as ``drop``."""
    course = get_object_or_404(Course.objects.with_term(), code=normalize_course_code(code))
    replacing = Course.objects.with_term().filter(code=normalize_course_code(request.POST.get("drop", ""))).first()
    if replacing is None:
        messages.error(request, "Choose a course you hold to give up.")
        return redirect(course)
    try:
        enrollment = enrollment_swap(student=request.user, course=course, replacing=replacing, via=Via.PAGE)
    except EnrollmentError as error:
        messages.error(request, error.message)
    else:
        if enrollment.status == Status.ENROLLED:
            messages.success(request, f"You are enrolled in {course.code} {course.title} instead of {replacing.code}.")
        else:
            messages.info(request, f"{course.code} is full: you are on its waitlist, and keep {replacing.code} "
                                   f"until a seat is yours.")
    return _back(request, course)


@login_required
@require_POST
def course_drop(request, code):
    course, enrollment = _own_enrollment(request, code)
    if enrollment is None:
        return redirect(course)
    was_waitlisted = enrollment.status == Status.WAITLISTED
    try:
        enrollment_drop(enrollment=enrollment, actor=request.user, via=Via.PAGE)
    except EnrollmentError as error:
        messages.error(request, error.message)
    else:
        done = "left the waitlist for" if was_waitlisted else "dropped"
        messages.success(request, f"You have {done} {course.code} {course.title}.")
    return _back(request, course)


@login_required
@require_POST
def course_withdraw(request, code):
    course, enrollment = _own_enrollment(request, code)
    if enrollment is None:
        return redirect(course)
    try:
        enrollment_withdraw(enrollment=enrollment, actor=request.user, via=Via.PAGE)
    except EnrollmentError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"You have withdrawn from {course.code} {course.title}: it stays on your transcript with a W."
        )
    return _back(request, course)


def _own_enrollment(request, code):
    """The course and the student's enrollment in it (None, with a message, when there is none)."""
    course = get_object_or_404(Course.objects.with_term(), code=normalize_course_code(code))
    enrollment = request.user.enrollments.filter(course=course).first()
    if enrollment is None:
        messages.error(request, f"You are not enrolled in {course.code}.")
    else:
        enrollment.course = course
    return course, enrollment


# Calendar apps poll on their own schedule; this only spares an app that
# polls often, while a change still shows within a quarter of an hour.
CALENDAR_MAX_AGE = 15 * 60


@require_safe
def calendar_feed(request, key):
    """A student's classes as iCalendar (enrollment.calendar_feed): two queries, or a 404 for an unknown key."""
    student = CalendarKey.objects.user_for_key(key)
    if student is None:
        raise Http404
    body = enrollments_calendar(
        student_enrollments_for_calendar(student=student),
        name=f"{student.get_short_name()}: classes",
        course_url=lambda course: request.build_absolute_uri(course.get_absolute_url()),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    response["Content-Disposition"] = 'inline; filename="classes.ics"'
    # private: the address is a secret, no shared cache keeps a copy.
    patch_cache_control(response, private=True, max_age=CALENDAR_MAX_AGE)
    return get_conditional_response(request, etag=response["ETag"], response=response)


def _back(request, course):
    """Return to the page the form was on (My enrollments) or to the course."""
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect(course)
