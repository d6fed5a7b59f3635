"""Catalog reads shared by pages, the API and commands."""

import uuid

from django.core.cache import cache

from .models import Course, Term

TERMS_CACHE_KEY = "catalog:terms"


def term_options() -> list[tuple[str, str, str]]:
    """(slug, name, id) of every term, newest first.

    Cached in the shared cache and cleared when a term changes (catalog.apps),
    so the catalog's filter form costs no query on most requests.
    """
    options = cache.get(TERMS_CACHE_KEY)
    if options is None:
        options = [(term.slug, term.name, str(term.pk)) for term in Term.objects.order_by("-starts_on")]
        cache.set(TERMS_CACHE_KEY, options, timeout=3600)
    return options


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
