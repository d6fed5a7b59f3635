"""The teaching pages: the courses an instructor teaches, a roster (and its CSV), a grade sheet, permits.

Thin: who may see what and every read come from enrollment.teaching, every
change from its services and enrollment.grade_sheets. Another instructor's
course, or a student, gets 403 on every page (404 for no such course).
"""

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from .grade_sheets import grade_sheet_page, grade_sheet_save
from .models import Via
from .reports import write_roster_csv
from .services import EnrollmentError
from .teaching import course_permits, course_roster, courses_taught, permit_issue, teaching_course
from .teaching_forms import GradeSheetForm, PermitForm

# The page's place in the site's navigation (templates/base.html).
SECTION = {"section": "teaching"}


@login_required
@require_safe
def teaching(request):
    taught = courses_taught(user=request.user)
    now = timezone.now()
    terms = [(term, list(courses)) for term, courses in groupby(taught, key=lambda t: t.course.term)]
    return render(request, "enrollment/teaching/courses.html", {**SECTION, "terms": terms, "now": now})


@login_required
@require_safe
def roster(request, code):
    taught = teaching_course(user=request.user, code=code)
    return render(request, "enrollment/teaching/roster.html", {
        **SECTION, "taught": taught, "course": taught.course, "roster": course_roster(course=taught.course),
    })


@login_required
@require_safe
def roster_csv(request, code):
    taught = teaching_course(user=request.user, code=code)
    course = taught.course
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="roster-{course.code}-{timezone.localdate():%Y-%m-%d}.csv"'
    write_roster_csv(course_roster(course=course), response)
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def grade_sheet(request, code):
    taught = teaching_course(user=request.user, code=code)
    page = grade_sheet_page(taught=taught)
    if request.method != "POST":
        form = GradeSheetForm(page=page)
    elif not taught.may_grade:
        raise PermissionDenied("Registrars change grades in the admin, with a reason.")
    else:
        form = GradeSheetForm(request.POST, page=page)
        if form.is_valid():
            submit = "submit" in request.POST
            try:
                saved = grade_sheet_save(page=page, actor=request.user, grades=form.grades(), seen=form.seen(),
                                         submit=submit, via=Via.TEACHING)
            except EnrollmentError as error:
                # Shown above the sheet as entered: nothing typed is lost.
                messages.error(request, error.message)
            else:
                for problem in saved.problems:
                    messages.warning(request, problem)
                if saved.submitted:
                    messages.success(request, f"Grades submitted: {saved.recorded} recorded for {taught.course.code}.")
                else:
                    messages.success(request, f"Draft saved ({saved.changed} changed). Students do not see it yet.")
                return redirect(request.path)
    return render(request, "enrollment/teaching/grades.html", {
        **SECTION, "taught": taught, "course": taught.course, "page": page, "form": form,
    })


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def permits(request, code):
    taught = teaching_course(user=request.user, code=code)
    course = taught.course
    form = PermitForm(request.POST or None, term=course.term)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            permit = permit_issue(taught=taught, student=data["student"], waives=data["waives"],
                                  valid_until=data["valid_until"], actor=request.user, via=Via.TEACHING)
        except EnrollmentError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Permit issued to {permit.student} for {course.code}: "
                                      f"{permit.waives_display().lower()} waived.")
            return redirect(request.path)
    return render(request, "enrollment/teaching/permits.html", {
        **SECTION, "taught": taught, "course": course, "form": form, "permits": course_permits(course=course),
    })
