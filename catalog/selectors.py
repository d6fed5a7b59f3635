"""Catalog reads shared by pages, the API and commands."""

import datetime
import uuid
from typing import NamedTuple

from django.core.cache import cache
from django.utils import timezone

from .models import Course, Term

# v3: whole terms; a key of its own, so no worker reads the (slug, name, id, window)
# entries left in a shared cache by the previous release.
TERMS_CACHE_KEY = "catalog:terms:v3"


class TermOption(NamedTuple):
    slug: str
    name: str
    id: str
    enrollment_opens_at: datetime.datetime
    enrollment_closes_at: datetime.datetime


def terms() -> list[Term]:
    """Every term, newest first.

    Cached in the shared cache and cleared when a term changes (catalog.apps),
    so the catalog's filter form and its rows cost no query on most requests.
    """
    cached = cache.get(TERMS_CACHE_KEY)
    if cached is None:
        cached = list(Term.objects.order_by("-starts_on"))
        cache.set(TERMS_CACHE_KEY, cached, timeout=3600)
    return cached


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
    by_id = {term.pk: term for term in terms()}
    if any(course.term_id not in by_id for course in courses):
        forget_terms()  # a term saved without its signal (a bulk write) since the list was cached
        by_id = {term.pk: term for term in terms()}
    for course in courses:
        if course.term_id in by_id:
            course.term = by_id[course.term_id]
    return courses


def term_in_enrollment(now: datetime.datetime | None = None) -> TermOption | None:
    """The term whose enrollment is open now, else the next one to open; None once every window has closed.

    What students and registrars look at first: the catalog opens on it and
    the admin home shows it. From the cached term list, so it costs no query.
    """
    now = now or timezone.now()
    not_closed = [option for option in term_options() if option.enrollment_closes_at > now]
    return min(not_closed, key=lambda option: option.enrollment_opens_at, default=None)


def forget_terms(**kwargs) -> None:
    cache.delete(TERMS_CACHE_KEY)


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
