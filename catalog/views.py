from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from .forms import CourseFilterForm
from .fragments import course_rows, filter_bar
from .models import Course, normalize_course_code
from .selectors import course_prerequisites, term_in_enrollment, with_terms
from .signals import course_page_sections

COURSES_PER_PAGE = 20


@require_safe
def course_list(request):
    query = request.GET.copy()
    query.pop("page", None)
    if "term" not in query and (term := term_in_enrollment()):
        # Students come to register: the catalog opens on the term they register
        # for, not on past ones. "All terms" asks for term= (empty).
        query["term"] = term.slug
    form = CourseFilterForm(query)
    courses = form.filter(Course.objects.all()) if form.is_valid() else Course.objects.order_by("code")
    page = Paginator(courses, COURSES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = with_terms(page.object_list)
    all_terms = query.copy()
    all_terms["term"] = ""
    return render(
        request,
        "catalog/course_list.html",
        {
            "form": form, "filters": filter_bar(form), "page": page, "courses": page.object_list,
            "rows": course_rows(page.object_list), "query": query.urlencode(),
            "all_terms_query": all_terms.urlencode(),
        },
    )


@require_safe
def course_detail(request, code):
    course = get_object_or_404(Course.objects.with_term(), code=normalize_course_code(code))
    prerequisites = course_prerequisites(course)
    responses = course_page_sections.send(sender=Course, request=request, course=course, prerequisites=prerequisites)
    return render(
        request,
        "catalog/course_detail.html",
        {"course": course, "prerequisites": prerequisites, "sections": [html for _receiver, html in responses]},
    )
