"""Catalog reads shared by pages, the API and commands."""

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


def course_prerequisites(course: Course) -> list[Course]:
    """The courses to pass before ``course``, by code, in one query.

    Read from the prerequisite table (indexed on the course that requires
    them), joined to their courses by primary key. ``course.prerequisites``
    asks the other way round: every course of the catalog joined to the
    table, then filtered, which grows with the catalog.
    """
    links = (
        Course.prerequisites.through.objects.filter(from_course=course)
        .select_related("to_course")
        .order_by("to_course__code")
    )
    return [link.to_course for link in links]
