"""Catalog reads shared by pages, the API and commands."""

import datetime
import functools
import uuid
from typing import NamedTuple

from django.core.cache import cache
from django.utils import timezone

from .models import Course, Term

TERMS_VERSION_KEY = "catalog:terms:version"
# A change made without Term's signals (a restore, a bulk update) is read within the hour.
TERMS_VERSION_SECONDS = 3600


class TermOption(NamedTuple):
    slug: str
    name: str
    id: str
    enrollment_opens_at: datetime.datetime
    enrollment_closes_at: datetime.datetime


def terms() -> list[Term]:
    """Every term, newest first: read once per process and per version of the list.

    The version lives in the shared cache and any change to a term replaces
    it (catalog.apps), so every worker reads the list again after a change
    and no query otherwise. A page asks for the terms several times (its
    filter form, its rows, the term whose enrollment is open): each costs a
    read of the small version key, not of the list.
    """
    return _terms_of_version(cache.get_or_set(TERMS_VERSION_KEY, _new_version, timeout=TERMS_VERSION_SECONDS))


@functools.lru_cache(maxsize=1)
def _terms_of_version(version: str) -> list[Term]:
    return list(Term.objects.order_by("-starts_on"))


def term_options() -> list[TermOption]:
    """Every term, newest first, as the filter forms and the term pickers show it."""
    return [
        TermOption(term.slug, term.name, str(term.pk), term.enrollment_opens_at, term.enrollment_closes_at)
        for term in terms()
    ]


def with_terms(courses) -> list[Course]:
    """A page of courses, each with its term from the cached list.

    The page is read first and then given its terms, where
    ``select_related("term")`` joins every course of the catalog to its
    term before sorting and cutting the page (on MongoDB as on the embedded
    server: a ``$lookup`` before the ``$sort``).
    """
    courses = list(courses)
    by_id = terms_by_id({course.term_id for course in courses})
    for course in courses:
        if course.term_id in by_id:
            course.term = by_id[course.term_id]
    return courses


def terms_by_id(term_ids) -> dict:
    """{id: term} of the cached list, read again if it lacks one of ``term_ids``
    (a term saved without its signal, by a bulk write, since it was cached)."""
    by_id = {term.pk: term for term in terms()}
    if any(term_id not in by_id for term_id in term_ids):
        forget_terms()
        by_id = {term.pk: term for term in terms()}
    return by_id


def term_course_ids(*term_ids) -> list:
    """The ids of the courses of these terms: one query on the courses' term index.

    What reads of enrollments by term match on: an enrollment's course is
    indexed, where a filter on ``course__term`` joins every enrollment of the
    school to its course before keeping the term's.
    """
    return list(Course.objects.filter(term_id__in=term_ids).values_list("pk", flat=True))


def term_in_enrollment(now: datetime.datetime | None = None) -> TermOption | None:
    """The term whose enrollment is open now, else the next one to open; None once every window has closed.

    What students and registrars look at first: the catalog opens on it and
    the admin home shows it. From the cached term list, so it costs no query.
    """
    now = now or timezone.now()
    not_closed = [option for option in term_options() if option.enrollment_closes_at > now]
    return min(not_closed, key=lambda option: option.enrollment_opens_at, default=None)


def forget_terms(**kwargs) -> None:
    cache.set(TERMS_VERSION_KEY, _new_version(), timeout=TERMS_VERSION_SECONDS)


PREREQUISITES_VERSION_KEY = "catalog:prerequisites:version"


def course_prerequisites(course: Course) -> list[Course]:
    """The courses to pass before ``course``, by code.

    Every enrollment checks them, and a registration rush sends every
    student to the same few courses: the list is kept in the shared cache
    under a version that any change to a course or to a prerequisite link
    replaces (catalog.apps), so no worker reads an outdated one. Building
    the query cost more than the rest of an enrollment's reads.

    Read from the prerequisite table (indexed on the course that requires
    them), joined to their courses by primary key. ``course.prerequisites``
    asks the other way round: every course of the catalog joined to the
    table, then filtered, which grows with the catalog.
    """
    version = cache.get_or_set(PREREQUISITES_VERSION_KEY, _new_version, timeout=None)
    key = f"catalog:prerequisites:{course.pk}:{version}"
    prerequisites = cache.get(key)
    if prerequisites is None:
        links = (
            Course.prerequisites.through.objects.filter(from_course=course)
            .select_related("to_course")
            .order_by("to_course__code")
        )
        prerequisites = [link.to_course for link in links]
        cache.set(key, prerequisites, timeout=3600)
    return prerequisites


def forget_prerequisites(**kwargs) -> None:
    cache.set(PREREQUISITES_VERSION_KEY, _new_version(), timeout=None)


def _new_version() -> str:
    return uuid.uuid4().hex
