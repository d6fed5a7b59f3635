"""My enrollments' settled terms, rendered once and kept in the shared cache.

A student with years of history has dozens of rows in terms that are over
and graded; rendering them at every visit cost most of the page. A settled
term (``TermGroup.is_settled``: over, and nothing to leave with a form, so
its block holds no button and no CSRF token) is rendered once and kept
under the student's key, with the fingerprint of everything it was rendered
from: every value of its rows (enrollment, course and term fields), each
row's leave option, and what the page adds (the template's source, the
language, the courses' address, the registrar's office, the status labels).
A visit computes the fingerprints from the rows it read anyway and renders
again any term whose fingerprint changed: a grade change, a withdrawal, an
admin edit of a course or a term is on the next page, never an old block.

One entry per student, overwritten when a term changes, rather than one per
term and fingerprint: a visit reads one entry and writes at most one (the
file cache lists its directory at every write), and no outdated blocks pile
up. Two visits at once may both render and write; either entry is checked
against the fingerprints before use, so neither can show stale data. The
key holds only the student's id: nobody but that student's own request
reads it, and it holds only what their page shows them.
"""

import functools
import hashlib
import operator
import pickle

from django.conf import settings
from django.core.cache import cache
from django.template.loader import get_template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from catalog.models import course_url

from .selectors import Transcript
from .status import Status

TERM_TEMPLATE = "enrollment/transcript_term.html"
# What a settled term's rows show (with their leave options; the rest of
# TRANSCRIPT_FIELDS is about waitlists, forms and swaps, which it has none of).
SHOWN = operator.attrgetter(
    "status", "grade", "waitlist_note", "course__code", "course__title", "course__credits", "course__meeting_days",
    "course__starts_at", "course__ends_at",
)
# Kept a day after its last change: what the fingerprint does not cover
# (Python that words a row, after a deployment) lasts no longer.
CACHE_SECONDS = 24 * 3600


def settled_term_blocks(*, student, transcript: Transcript) -> None:
    """Give each settled term of ``transcript`` its rendered block (``html``), from the cache or rendered now."""
    settled = [group for group in transcript.terms if group.is_settled]
    if not settled:
        return
    key = f"enrollment:transcript:{student.pk}"
    stored = cache.get(key) or {}
    template = get_template(TERM_TEMPLATE)
    page = _page_fingerprint(template.template.source)
    kept = {}
    for group in settled:
        fingerprint = _fingerprint(page, group)
        entry = stored.get(group.term.pk)
        if entry is None or entry[0] != fingerprint:
            entry = (fingerprint, template.render({"group": group, "registrar_office": settings.REGISTRAR_OFFICE}))
        kept[group.term.pk] = entry
        # Rendered by our own template, which escaped every value.
        group.html = mark_safe(entry[1])
    if kept != stored:
        cache.set(key, kept, timeout=CACHE_SECONDS)


def _page_fingerprint(source: str) -> tuple:
    return (
        _digest(source), get_language(), course_url(""), settings.REGISTRAR_OFFICE,
        tuple(str(label) for label in Status.labels),
    )


def _fingerprint(page: tuple, group) -> str:
    values = (page, group.term.name, group.term.slug, [SHOWN(row) for row in group.rows], group.leave_options)
    return hashlib.blake2b(pickle.dumps(values), digest_size=16).hexdigest()


@functools.lru_cache(maxsize=8)
def _digest(source: str) -> str:
    return hashlib.blake2b(source.encode(), digest_size=16).hexdigest()
