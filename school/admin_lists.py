"""Admin lists that open as fast on a school of 20,000 students as on one of 200.

Django's change list counts its rows twice (the filtered list for the
paginator, and the whole table for "N results (M total)"), and an exact
count reads every document or index entry: on MongoDB as on the embedded
server, the cost grows with the collection. :class:`LargeListAdmin` keeps
the filtered count only, and its paginator takes an unfiltered list's size
from the collection's metadata (``estimatedDocumentCount``), which costs the
same however large the collection is. A filtered list is still counted
exactly (its filters use indexes).

A sidebar filter's choices must not be read from the collection either:
Django's default filter for a plain field (``AllValuesFieldListFilter``)
groups the whole collection by the field on every page view, and the counts
shown next to the choices (facets) aggregate it again. These lists offer no
facets, a bounded number takes its choices from its validators
(:class:`AllowedValuesListFilter`), and a free-text field is searched, not
listed.
"""

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if isinstance(rows, QuerySet) and not rows.query.where and not rows.query.is_sliced:
            collection = connections[rows.db].get_collection(rows.model._meta.db_table)
            return collection.estimated_document_count()
        return super().count


class LargeListAdmin:
    """A ModelAdmin mixin for the lists of collections that grow with the school."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER


class AllowedValuesListFilter(admin.AllValuesFieldListFilter):
    """Every value an integer field's validators allow (e.g. 1 to 10 credits), whatever the collection holds.

    The same parameter (``?credits=3``), filtering and refusal of a value
    that is not a number as Django's all-values filter, without the
    ``$group`` over the whole collection that reads its choices.
    """

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        # Replaces the parent's distinct-values queryset before anything evaluates it.
        self.lookup_choices = allowed_range(field)


def allowed_range(field) -> range:
    """The values between a field's tightest MinValueValidator and MaxValueValidator."""
    lows = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
    highs = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
    if not lows or not highs or max(lows) < min(highs) - 100:
        raise ImproperlyConfigured(f"{field} needs a MinValueValidator and a MaxValueValidator at most 100 apart.")
    return range(max(lows), min(highs) + 1)
