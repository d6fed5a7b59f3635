"""Answers mongoeco gives differently from MongoDB, made MongoDB's.

Each change restores what a real MongoDB answers to a command Django
(django-mongodb-backend) or pymongo sends, or the cost MongoDB pays for it,
and has a test in ``tests/test_compat.py`` that fails without it. Importing
this module changes nothing: :class:`.proxy.EmbeddedExecutor` rewrites the
commands, :class:`.engine.EmbeddedEngine` inherits
:class:`LongMembershipLists`, and :func:`.patches.install` registers
``EXPRESSION_OPERATORS`` and applies ``REPLACEMENTS``.
"""

import dataclasses
import datetime
import decimal
import random

import bson
from mongoeco.api._async.database_admin import AsyncDatabaseAdminService
from mongoeco.compat import MONGODB_DIALECT_70
from mongoeco.core.aggregation import (
    grouping_stages,
    join_stages,
    preparation,
    stages,
)
from mongoeco.core.aggregation.accumulators import _coerce_accumulator_specs
from mongoeco.core.aggregation.date_expressions import _resolve_timezone, evaluate_date_expression
from mongoeco.core.aggregation.resources import AggregationResources
from mongoeco.core.aggregation.runtime import _MISSING, _REMOVE, _evaluate_expression_with_missing
from mongoeco.core.bson_scalars import BsonDecimal128, BsonDouble, BsonInt32, BsonInt64
from mongoeco.core.codec import DocumentCodec
from mongoeco.core.filtering import QueryEngine
from mongoeco.core.paths import get_document_value
from mongoeco.engines import sqlite_query
from mongoeco.errors import OperationFailure
from mongoeco.types import default_index_name, normalize_index_keys

# --- Commands (rewritten by proxy.EmbeddedExecutor) ----------------------------


def canonical_command_name(body: dict, surface) -> dict:
    """Real MongoDB matches some command names case-insensitively.

    pymongo's ``server_info()`` sends ``buildinfo``; mongoeco knows only
    ``buildInfo``. Rename the command key to the spelling mongoeco supports.
    """
    name = next(iter(body), None)
    if not isinstance(name, str) or surface.supports_command(name):
        return body
    for known in surface.supported_commands:
        if known.lower() == name.lower():
            return {(known if key == name else key): value for key, value in body.items()}
    return body


def rename_in_own_database(body: dict) -> dict:
    """Real MongoDB takes ``renameCollection`` on the admin database, with full
    namespaces: pymongo's ``Collection.rename()`` (so Django's AlterModelTable
    and RenameModel) sends it there. mongoeco accepts it only on the database
    of the collections; send it there.
    """
    source, target = body.get("renameCollection"), body.get("to")
    if body.get("$db") == "admin" and isinstance(source, str) and isinstance(target, str):
        database = source.partition(".")[0]
        if database != "admin" and target.partition(".")[0] == database:
            return {**body, "$db": database}
    return body


# --- Expressions (registered by patches.install) --------------------------------


def _not_expression(document, spec, variables, dialect, context):
    """Real MongoDB's ``$not`` expression: the negated truthiness of its one
    argument, written bare or in a one-element list. null, missing, false and
    0 are falsy; everything else, arrays included, is truthy (as in ``$cond``).
    """
    args = spec if isinstance(spec, list) else [spec]
    (argument,) = context.require_expression_args("$not", args, 1, 1)
    value = context.evaluate_expression(document, argument, variables)
    return not dialect.policy.expression_truthy(value)


def _rand_expression(document, spec, variables, dialect, context):
    """Real MongoDB's ``$rand`` takes an empty object or an empty array;
    django-mongodb-backend sends ``{"$rand": []}`` for ``order_by("?")``."""
    if spec not in ({}, []):
        raise OperationFailure("$rand does not currently accept arguments", code=3040501)
    return random.random()


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _date_trunc_expression(document, spec, variables, dialect, context):
    """Real MongoDB's ``$dateTrunc`` truncates in its ``timezone`` (Django's
    Trunc*() and dates() send settings.TIME_ZONE) and takes ``startOfWeek``
    as a full or three-letter day name (Django sends "mon"); mongoeco accepts
    only UTC and full names. Truncate the local wall-clock time in UTC, then
    read the result back as a time in that timezone.
    """

    def truncate(trunc_spec):
        return evaluate_date_expression(
            "$dateTrunc",
            document,
            trunc_spec,
            variables,
            dialect=dialect,
            evaluate_expression=context.evaluate_expression,
            evaluate_expression_with_missing=context.evaluate_expression_with_missing,
            missing_sentinel=context.missing_sentinel,
        )

    if not isinstance(spec, dict):
        return truncate(spec)
    spec = dict(spec)
    if "startOfWeek" in spec:
        day = context.evaluate_expression(document, spec["startOfWeek"], variables)
        if isinstance(day, str):
            day = next((name for name in _WEEKDAYS if day.lower() in (name, name[:3])), day)
        spec["startOfWeek"] = {"$literal": day}
    timezone = context.evaluate_expression(document, spec.pop("timezone", None), variables)
    zone = _resolve_timezone("$dateTrunc", timezone)
    value = context.evaluate_expression(document, spec.get("date"), variables)
    if not isinstance(value, datetime.datetime):
        return truncate(spec)
    utc = value.replace(tzinfo=datetime.UTC) if value.tzinfo is None else value
    wall_clock = utc.astimezone(zone).replace(tzinfo=None)
    truncated = truncate({**spec, "date": {"$literal": wall_clock}})
    result = truncated.replace(tzinfo=zone).astimezone(datetime.UTC)
    return result.replace(tzinfo=None) if value.tzinfo is None else result


# --- Numbers ----------------------------------------------------------------

_original_encode = DocumentCodec.encode


def _encode(data):
    """Real MongoDB compares numbers by value whatever their BSON type:
    ``{"n": 5}`` matches ``NumberLong(5)`` and ``5.0``. mongoeco stores int64
    (every Django IntegerField) and computed int32/double values as tagged
    objects, and its SQL only matches a tag against the same tag, so lookups
    silently missed rows (e.g. after ``update(n=F("n") + 1)``). Store and query
    them as plain JSON numbers; only the int/long distinction is not kept.
    """
    if isinstance(data, (BsonInt32, BsonInt64, BsonDouble)):
        data = data.value
    elif isinstance(data, bson.Int64):
        data = int(data)
    return _original_encode(data)


# --- Aggregation stages -----------------------------------------------------

_SUB_SPEC_STAGES = frozenset({"$project", "$addFields", "$set"})
_original_prepare_builtin_stage = preparation._prepare_builtin_stage


def _prepare_builtin_stage(operator, spec, **kwargs):
    if operator in _SUB_SPEC_STAGES and isinstance(spec, dict):
        spec = _dotted_spec(spec)
    elif operator == "$lookup" and isinstance(spec, dict):
        spec = _without_empty_pipeline(spec)
    return _original_prepare_builtin_stage(operator, spec, **kwargs)


def _without_empty_pipeline(spec: dict) -> dict:
    """A ``$lookup`` on localField/foreignField with an empty ``pipeline`` (and
    no ``let``) is, in real MongoDB, the plain field join; django-mongodb-backend
    sends it for every select_related() and join. mongoeco hash-joins only
    without a pipeline and otherwise compares every pair of documents (24 s for
    2,000 x 2,000). Drop the no-op pipeline.
    """
    if "localField" in spec and spec.get("pipeline") == [] and not spec.get("let"):
        return {key: value for key, value in spec.items() if key not in ("pipeline", "let")}
    return spec


def _dotted_spec(spec: dict, prefix: str = "") -> dict:
    """In real MongoDB's ``$project``/``$addFields``/``$set`` a nested document
    that is not an expression is a sub-specification: ``{"a": {"b": 1}}`` means
    ``{"a.b": 1}`` (include ``a.b``; in ``$addFields``, add ``b`` to the existing
    ``a``). mongoeco evaluates it as a literal object, so values_list() over a
    relation returned ``1`` and ``$addFields`` replaced the whole related object.
    Flatten sub-specifications to the dotted paths mongoeco handles correctly.
    """
    flat = {}
    for key, value in spec.items():
        if _is_sub_spec(value):
            flat.update(_dotted_spec(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _is_sub_spec(value) -> bool:
    return isinstance(value, dict) and bool(value) and not next(iter(value)).startswith("$")


_original_apply_lookup = join_stages._apply_lookup


@dataclasses.dataclass(frozen=True, slots=True)
class _OwnMatchesFirst(AggregationResources):
    """Collections for one document's ``$lookup``: the joined collection's
    first read (before the pipeline runs) yields that document's matches;
    stages inside the pipeline read every collection whole."""

    pending: list = dataclasses.field(default_factory=list)

    def __call__(self, name):
        return self.pending.pop() if self.pending else AggregationResources.__call__(self, name)


def _apply_lookup(documents, spec, collection_resolver, variables=None, **kwargs):
    """Real MongoDB runs a ``$lookup`` on localField/foreignField with a
    ``pipeline`` by finding each document's matches (with an index) and
    running the pipeline over those. mongoeco hash-joins only without a
    pipeline and otherwise compares every pair of documents; Django sends one
    whenever a query filters on a related model. Join on the fields first, then
    run the lookup with the pipeline per document, over its own matches only.
    """
    if not (
        isinstance(spec, dict)
        and spec.get("pipeline")
        and {"from", "localField", "foreignField", "as"} <= spec.keys()
        and isinstance(collection_resolver, AggregationResources)
    ):
        return _original_apply_lookup(documents, spec, collection_resolver, variables, **kwargs)
    documents = list(documents)
    field_join = {key: spec[key] for key in ("from", "localField", "foreignField", "as")}
    pipeline_join = {key: value for key, value in spec.items() if key not in ("localField", "foreignField")}
    joined = _original_apply_lookup(documents, field_join, collection_resolver, variables, **kwargs)
    result = []
    for document, with_matches in zip(documents, joined, strict=True):
        _found, matches = get_document_value(with_matches, spec["as"])
        resolver = collection_resolver
        resources = _OwnMatchesFirst(resolver.documents, resolver.collection, resolver.snapshots, [matches])
        result += _original_apply_lookup([document], pipeline_join, resources, variables, **kwargs)
    return result


_SKIPS_MISSING = frozenset({"$push", "$addToSet"})
_original_apply_accumulators = grouping_stages._apply_accumulators


def _apply_accumulators(bucket, accumulator_specs, document, variables=None, **kwargs):
    """Real MongoDB's ``$push`` and ``$addToSet`` accumulators skip a missing
    value, ``$$REMOVE`` included. django-mongodb-backend's Sum() and
    Count(distinct=True) push ``$$REMOVE`` for nulls; mongoeco pushed null, so
    Sum() over nulls only gave 0 instead of None and Count(distinct=True)
    counted null as a value. Leave those accumulators out for such documents.
    """
    dialect = kwargs.get("dialect", MONGODB_DIALECT_70)
    specs = tuple(
        (field, operator, expression)
        for field, operator, expression in _coerce_accumulator_specs(accumulator_specs)
        if operator not in _SKIPS_MISSING
        or _evaluate_expression_with_missing(document, expression, variables, dialect=dialect)
        not in (_MISSING, _REMOVE)
    )
    return _original_apply_accumulators(bucket, specs, document, variables, **kwargs)


# --- $in and $nin -----------------------------------------------------------

_SQL_MEMBERSHIP_LIMIT = 100
_original_translate_membership = sqlite_query._translate_membership
_original_in_lookup_key = QueryEngine._hashable_in_lookup_key
_original_prepare_membership_values = QueryEngine._prepare_membership_values.__func__
_prepared_memberships = {}


def _require_short_membership(values) -> None:
    """Real MongoDB accepts ``$in``/``$nin`` with thousands of values. mongoeco
    translates each value to its own SQL clauses: past ~500 values SQLite
    refuses the statement ("Expression tree is too large"), and long before
    that it is slower than a scan. Leave long lists to mongoeco's Python
    matcher (made to use a hash set below): the SQL translators ask for that
    fallback by raising NotImplementedError.
    """
    if len(values) > _SQL_MEMBERSHIP_LIMIT:
        raise NotImplementedError("long $in/$nin lists are matched in Python")


def _translate_membership(field, values, **kwargs):
    _require_short_membership(values)
    return _original_translate_membership(field, values, **kwargs)


class LongMembershipLists:
    """The engine's half of the long-list fallback: its ``$in`` translation
    over a multikey index asks for it too."""

    def _translate_in_with_multikey(self, collection_id, db_name, coll_name, plan, index):
        _require_short_membership(plan.values)
        return super()._translate_in_with_multikey(collection_id, db_name, coll_name, plan, index)


def _in_lookup_key(value, *, collation=None):
    """Real MongoDB looks ``$in`` candidates up in a set of the listed values.
    mongoeco's Python matcher hashes only a few types and compares every other
    listed value in turn (5,000 numbers x 2,000 documents: 10 s). Hash strings
    (when no collation applies) and numbers too: Python's ``==`` and ``hash``
    agree across int, float and Decimal, as MongoDB's numeric equality does.
    """
    key = _original_in_lookup_key(value, collation=collation)
    if key is not None or collation is not None or isinstance(value, bool):
        return key
    if type(value) is str:
        return ("string", value)
    if isinstance(value, (BsonInt32, BsonInt64, BsonDouble, BsonDecimal128)):
        value = value.value
    elif isinstance(value, bson.Decimal128):
        value = value.to_decimal()
    if isinstance(value, (int, float, decimal.Decimal)) and not _is_nan(value):
        return ("number", value)
    return None


def _is_nan(number) -> bool:
    return number.is_nan() if isinstance(number, decimal.Decimal) else number != number


def _prepare_membership_values(cls, values, *, null_matches_undefined, collation=None):
    """mongoeco rebuilds the hash set of an ``$in`` list for every document it
    tests; build it once per list (the query plan's tuple) instead."""
    key = (id(values), null_matches_undefined, id(collation))
    cached = _prepared_memberships.get(key)
    if cached is None or cached[0] is not values or cached[1] is not collation:
        prepared = _original_prepare_membership_values(
            cls, values, null_matches_undefined=null_matches_undefined, collation=collation
        )
        if len(_prepared_memberships) >= 32:
            _prepared_memberships.clear()
        cached = _prepared_memberships[key] = (values, collation, prepared)
    return cached[2]


# --- Indexes ----------------------------------------------------------------

def without_distinct_indexes(load_indexes, *, keys, name, collation, partial_filter_expression):
    """Real MongoDB identifies an index by key pattern, collation and
    partialFilterExpression: two indexes on one key pattern with different
    filters (and names) coexist, each unique one enforced only on the
    documents its filter matches (django-allauth's EmailAddress migrations
    need this). mongoeco refuses any second index on a key pattern: the
    ``load_indexes`` its index creation checks conflicts with, without the
    indexes that differ in filter or collation (used by
    :func:`.writes.create_index`).
    """
    key = normalize_index_keys(keys)
    index_name = name or default_index_name(key)

    def distinct_index(index) -> bool:
        return (
            index["name"] != index_name
            and index["key"] == key
            and (
                index.get("partial_filter_expression") != partial_filter_expression
                or index.get("collation") != collation
            )
        )

    return lambda db_name, coll_name: [index for index in load_indexes(db_name, coll_name) if not distinct_index(index)]


def _list_indexes_document(self, collection_name, document):
    """Real MongoDB (4.4+) lists an index as ``{v: 2, key, name, ...options}``:
    no ``ns``, and ``unique`` only when true and never on ``_id_``."""
    listed = {"v": 2, "key": document["key"], "name": document["name"]}
    listed.update(
        (option, value)
        for option, value in document.items()
        if option not in {"key", "name", "unique", "ns", "fields"}
    )
    if document.get("unique") and document["name"] != "_id_":
        listed["unique"] = True
    return listed


EXPRESSION_OPERATORS = {"$not": _not_expression, "$rand": _rand_expression, "$dateTrunc": _date_trunc_expression}

REPLACEMENTS = (
    (DocumentCodec, "encode", staticmethod(_encode)),
    (AsyncDatabaseAdminService, "_normalize_list_indexes_document_for_collection", _list_indexes_document),
    (preparation, "_prepare_builtin_stage", _prepare_builtin_stage),
    (sqlite_query, "_translate_membership", _translate_membership),
    (QueryEngine, "_hashable_in_lookup_key", staticmethod(_in_lookup_key)),
    (QueryEngine, "_prepare_membership_values", classmethod(_prepare_membership_values)),
    (grouping_stages, "_apply_accumulators", _apply_accumulators),
    # stages imports _apply_lookup from join_stages under the same name.
    (join_stages, "_apply_lookup", _apply_lookup),
    (stages, "_apply_lookup", _apply_lookup),
)
