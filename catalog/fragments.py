"""Parts of the catalog page rendered once per worker for their whole input.

In the template engine, the twenty rows of courses were nearly a third of
the catalog page's work and the filter bar (five labels, three selects of
35 options) a tenth. Each part is rendered by its own template from a key of
hashable values and nothing else (the filter form is built again from its
key), so the key is the whole input of its HTML: the HTML is kept under the
key, and anything that would change it (a seat taken, a course renamed, a
term added, another search) is another key, rendered afresh. Nothing is
served stale, and no part depends on who asks. The active language is part
of every key.
"""

import functools
from collections.abc import Iterable
from typing import NamedTuple

from django.http import QueryDict
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from .forms import CourseFilterForm
from .models import Course
from .selectors import TermOption

# A hundred pages of courses; a row's key and HTML take about 1.5 kB (3 MB a worker).
ROWS_KEPT = 2048
# The catalog's usual views (each term, each order, ...): most visitors
# share a handful, and searches come and go. The key holds the submitted
# values, within the request line's limit of a few kB.
FILTER_BARS_KEPT = 256


class CourseRow(NamedTuple):
    url: str
    code: str
    title: str
    instructor: str
    term: str
    schedule: str
    credits: int
    capacity: int
    seats_left: int
    is_full: bool
    waitlist_count: int

    @classmethod
    def of(cls, course: Course) -> "CourseRow":
        return cls(
            course.get_absolute_url(), course.code, course.title, course.instructor, course.term.name,
            course.schedule_display, course.credits, course.capacity, course.seats_left, course.is_full,
            course.waitlist_count,
        )


def course_rows(courses: Iterable[Course]) -> SafeString:
    """The table row of each course, in order."""
    language = get_language()
    return mark_safe("".join(_course_row(CourseRow.of(course), language) for course in courses))


@functools.lru_cache(maxsize=ROWS_KEPT)
def _course_row(row: CourseRow, language: str) -> str:
    return get_template("catalog/course_row.html").render({"row": row})


def filter_bar(form: CourseFilterForm) -> SafeString:
    """The search box and filters of ``form`` (bound to a QueryDict), with its values and errors."""
    values = tuple((name, tuple(form.data.getlist(name))) for name in form.fields)
    return mark_safe(_filter_bar(values, form.term_options, get_language()))


@functools.lru_cache(maxsize=FILTER_BARS_KEPT)
def _filter_bar(values: tuple, term_options: tuple[TermOption, ...], language: str) -> str:
    data = QueryDict(mutable=True)
    for name, field_values in values:
        data.setlist(name, list(field_values))
    form = CourseFilterForm(data, term_options=term_options)
    return get_template("catalog/course_filters.html").render({"form": form})
