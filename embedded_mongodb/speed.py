"""Where mongoeco's SQLite engine does far more work than MongoDB would.

A real MongoDB checks a unique key with one B-tree lookup, answers an
equality from an index, filters before it joins and reads only what a join
needs; mongoeco, evaluating queries in Python, scanned and decoded whole
collections for each of these, so a page's cost grew with the school. The
parts, each answering exactly what mongoeco would (and leaving to mongoeco
whatever it cannot decide exactly):

- :class:`IndexedUniqueChecks`: unique keys (``_id`` included) checked with
  indexed SQL lookups over the expression index mongoeco keeps for every
  ordered index (and the primary key for ``_id``). The lookups select a
  superset, compared in Python with mongoeco's own equality. It also keys a
  missing field as null, as MongoDB does (mongoeco let ``{n: null}`` in next
  to ``{}``).
- :class:`IndexedReads`: an ``_id`` equality read by primary key, an equality
  on a field that leads an index seeking it, decimals looked for only where
  they can be.
- :func:`hoist_matches`: ``$match`` ahead of ``$lookup`` and ``$unwind``, as
  MongoDB's optimizer moves it (applied to commands by the proxy).
- Joins read only the documents they join, by primary key on ``_id``, and
  nothing when no document reaches them; copies of documents share immutable
  values instead of going through ``deepcopy`` (``REPLACEMENTS``).

The engine classes are inherited by :class:`.engine.EmbeddedEngine`;
``REPLACEMENTS`` are applied by :func:`.patches.install`. The tests are in
``tests/test_speed.py``; what each part saved is in ``docs/performance.md``.
"""

import collections
import copy
import dataclasses
import datetime
import inspect
import math
import re

import bson
from mongoeco._types._bson_objectid import OBJECT_ID_TYPES
from mongoeco.api._async import _collection_insert, _collection_runtime, aggregation_cursor
from mongoeco.api._async import collection as collection_api
from mongoeco.api._async.aggregation_cursor import AsyncAggregationCursor
from mongoeco.core.aggregation import join_stages, runtime, stages, transform_stages
from mongoeco.core.bson_ordering import bson_equality_key
from mongoeco.core.bson_scalars import BsonDouble, BsonInt32, BsonInt64
from mongoeco.core.codec import DocumentCodec
from mongoeco.core.filtering import QueryEngine
from mongoeco.core.identity import id_contains_numeric_value
from mongoeco.core.paths import get_document_value
from mongoeco.core.query_plan import AndCondition, EqualsCondition, InCondition
from mongoeco.engines import _sqlite_modify_ops
from mongoeco.engines import results as engine_results
from mongoeco.engines import sqlite as sqlite_engine
from mongoeco.engines._sqlite_connection import sqlite_read_scope
from mongoeco.engines.sqlite_query import (
    _translate_equals_scalar_only,
    _translate_scalar_equals,
    json_path_for_field,
    type_expression_sql,
    value_expression_sql,
)
from mongoeco.engines.virtual_indexes import document_in_virtual_index

from .query_cache import ALL, modified_paths, named_collections, record_join


class _Unsure(Exception):
    """The fast path cannot decide exactly: run mongoeco's own check."""


# A top-level field whose SQLite JSON path ('$.name') means the same field.
_PLAIN_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Tags mongoeco (or compat's number encoding, or older files) may store a
# number under; any of them may equal a plain JSON number.
_NUMBER_TAGS = "('int32', 'int64', 'double', 'decimal', 'decimal128', 'decimal128_public')"
# Tags whose stored value is canonical: equal keys store the same text.
_CANONICAL_TAGS = frozenset({"objectid", "datetime"})
# Beyond 2**53 SQLite's int/float comparison and mongoeco's may disagree.
_EXACT_NUMBER_LIMIT = 2**53


def _candidate_conditions(field: str, found: bool, value) -> list[tuple[str, tuple]]:
    """SQL conditions that together select every stored document whose index
    key at ``field`` can equal ``value`` (a superset). Each condition is a
    range of mongoeco's expression index on ``field`` (type tag, value).
    Raises _Unsure for values they cannot cover."""
    tag, text = type_expression_sql(field), value_expression_sql(field)
    # An array value reads back as its JSON text: multikey documents, which
    # the caller hands to mongoeco's own check.
    arrays = (f"{tag} = '' AND {text} >= '[' AND {text} < '\\'", ())
    if not found or value is None:
        # Missing and null are the same index key; undefined may be too.
        return [(f"{tag} = '' AND {text} IS NULL", ()), (f"{tag} = 'undefined'", ()), arrays]
    if isinstance(value, bool):
        # JSON true/false read back as 1/0, like numbers: a superset.
        return [(f"{tag} = '' AND {text} = ?", (int(value),)), arrays]
    if isinstance(value, (BsonInt32, BsonInt64, BsonDouble)):
        value = value.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value) if isinstance(value, int) else float(value)
        if not math.isfinite(number) or abs(number) >= _EXACT_NUMBER_LIMIT:
            raise _Unsure
        # SQLite compares INTEGER and REAL by value: 1 = 1.0 = Int64(1).
        return [(f"{tag} = '' AND {text} = ?", (number,)), (f"{tag} IN {_NUMBER_TAGS}", ()), arrays]
    if type(value) is str:
        return [(f"{tag} = '' AND {text} = ?", (value,)), arrays]
    if type(value) in OBJECT_ID_TYPES or type(value) is datetime.datetime:
        payload = DocumentCodec.encode(value)[DocumentCodec._MARKER]
        if payload[DocumentCodec._TYPE] in _CANONICAL_TAGS:
            return [
                (f"{tag} = ? AND {text} = ?", (payload[DocumentCodec._TYPE], payload[DocumentCodec._VALUE])),
                arrays,
            ]
    raise _Unsure


def _fast_path_index(index) -> bool:
    return (
        index.get("collation") is None
        and all(_PLAIN_FIELD.match(field) for field in index["fields"])
        and all(direction in (1, -1) for _field, direction in index["key"])
        and bool(index.get("physical_name"))
    )


def _candidates(conn, db_name, coll_name, conditions_per_field):
    """Yield (storage_key, payload) of the documents matching every field's
    conditions. The first field's conditions drive index range scans; the
    others filter inside each range."""
    (first, *rest) = conditions_per_field
    residual_sql = "".join(
        " AND (" + " OR ".join(f"({sql})" for sql, _ in conditions) + ")" for conditions in rest
    )
    residual_params = tuple(param for conditions in rest for _, params in conditions for param in params)
    for sql, params in first:
        yield from conn.execute(
            f"SELECT storage_key, document FROM documents "
            f"WHERE db_name = ? AND coll_name = ? AND {sql}{residual_sql}",
            (db_name, coll_name, *params, *residual_params),
        )


def _check_payload_id(engine, conn, db_name, coll_name, document, exclude_storage_key):
    """Refuse ``document`` when another document's ``_id`` equals its own
    under BSON equality (mongoeco's payload scan), without scanning."""
    doc_id = document["_id"]
    doc_id_type = type(doc_id)
    if doc_id_type is str:
        # Only a str equals a str, and a str's storage key is unique to it:
        # the caller's primary-key lookup was exact.
        return
    if doc_id_type in OBJECT_ID_TYPES:
        # Equal ObjectIds differ in storage key only by their Python class.
        own_key = engine._storage_key(doc_id)
        for object_id_type in OBJECT_ID_TYPES:
            storage_key = engine._storage_key(object_id_type(str(doc_id)))
            if storage_key in (own_key, exclude_storage_key):
                continue
            if conn.execute(
                "SELECT 1 FROM documents WHERE db_name = ? AND coll_name = ? AND storage_key = ? LIMIT 1",
                (db_name, coll_name, storage_key),
            ).fetchone():
                raise _duplicate_id(engine, db_name, coll_name, document)
        return
    # Numbers, dates, null: one pass in SQL over the collection (no index on
    # the _id payload), then BSON equality in Python on the few matches.
    wanted = bson_equality_key(doc_id)
    for storage_key, payload in _candidates(
        conn, db_name, coll_name, [_candidate_conditions("_id", True, doc_id)]
    ):
        if storage_key == exclude_storage_key:
            continue
        existing = engine._deserialize_document(payload)
        if "_id" in existing and bson_equality_key(existing["_id"]) == wanted:
            raise _duplicate_id(engine, db_name, coll_name, document)


def _duplicate_id(engine, db_name, coll_name, document):
    return engine._unique_key_error(
        f"Duplicate key: _id={document['_id']}",
        f"{db_name}.{coll_name}",
        document,
    )


def _check_unique_index(engine, conn, db_name, coll_name, document, index, exclude_storage_key):
    fields = index["fields"]
    conditions = [_candidate_conditions(field, *get_document_value(document, field)) for field in fields]
    existing_documents = {}
    for storage_key, payload in _candidates(conn, db_name, coll_name, conditions):
        if storage_key != exclude_storage_key and storage_key not in existing_documents:
            existing = existing_documents[storage_key] = engine._deserialize_document(payload)
            if any(engine._array_paths_for_index_field(existing, field) for field in fields):
                # The index is multikey: mongoeco compares array keys by
                # its own rules, so let it decide, whatever the order found.
                raise _Unsure
    key = tuple(engine._index_value(document, field) for field in fields)
    for existing in existing_documents.values():
        if document_in_virtual_index(existing, index) and (
            tuple(engine._index_value(existing, field) for field in fields) == key
        ):
            raise engine._unique_key_error(
                f"Duplicate key for unique index '{index['name']}': {fields}={key!r}",
                f"{db_name}.{coll_name}",
                document,
                index=index,
                conflict=key,
            )


class IndexedUniqueChecks:
    """Unique keys (``_id`` included) checked with indexed lookups, not scans."""

    def _validate_document_against_unique_indexes(
        self,
        db_name,
        coll_name,
        document,
        *,
        exclude_storage_key=None,
        skip_id_check=False,
        scan_payload_id=False,
    ):
        """mongoeco's check, in the same order with the same errors, with indexed
        lookups in place of full scans; mongoeco's own check when unsure."""

        original = super()._validate_document_against_unique_indexes

        def fallback():
            return original(
                db_name,
                coll_name,
                document,
                exclude_storage_key=exclude_storage_key,
                skip_id_check=skip_id_check,
                scan_payload_id=scan_payload_id,
            )

        indexes = self._load_indexes(db_name, coll_name)
        in_index = [document_in_virtual_index(document, index) for index in indexes]
        unique_indexes = [index for index, member in zip(indexes, in_index, strict=True) if member and index["unique"]]
        if not all(_fast_path_index(index) for index in unique_indexes):
            return fallback()
        conn = self._require_connection()
        try:
            if "_id" in document and not skip_id_check:
                storage_key = self._storage_key(document["_id"])
                if exclude_storage_key != storage_key and conn.execute(
                    "SELECT 1 FROM documents WHERE db_name = ? AND coll_name = ? AND storage_key = ? LIMIT 1",
                    (db_name, coll_name, storage_key),
                ).fetchone():
                    raise _duplicate_id(self, db_name, coll_name, document)
                if scan_payload_id or (
                    storage_key != exclude_storage_key and id_contains_numeric_value(document["_id"])
                ):
                    _check_payload_id(self, conn, db_name, coll_name, document, exclude_storage_key)
            for index, member in zip(indexes, in_index, strict=True):
                if member:
                    self._validate_compound_multikey_shape(document, index)
            for index in unique_indexes:
                _check_unique_index(self, conn, db_name, coll_name, document, index, exclude_storage_key)
        except _Unsure:
            return fallback()
        return None

    def _unique_index_conflict_via_scalar_entries(self, conn, collection_id, index, document, *, exclude_storage_key):
        """Real MongoDB keys a missing field as null in a (non-sparse) unique
        index. mongoeco's scalar-entry lookup has rows for null values but none
        for missing fields, so ``{n: null}`` was accepted next to ``{}``. For a
        null or missing value, decline (None) and let mongoeco scan instead."""
        if len(index["fields"]) == 1:
            found, value = get_document_value(document, index["fields"][0])
            if not found or value is None:
                return None
        return super()._unique_index_conflict_via_scalar_entries(
            conn, collection_id, index, document, exclude_storage_key=exclude_storage_key
        )


def _leads_an_index(engine, db_name, coll_name, field) -> bool:
    return any(
        index["fields"][:1] == [field] and _fast_path_index(index) for index in engine._load_indexes(db_name, coll_name)
    )


def _any_document(engine, db_name, coll_name, condition: str, parameters=()) -> bool:
    sql = f"SELECT 1 FROM documents WHERE db_name = ? AND coll_name = ? AND {condition} LIMIT 1"
    return engine._require_connection().execute(sql, (db_name, coll_name, *parameters)).fetchone() is not None


_accepts_preserve_bson_wrappers: dict[object, bool] = {}


# Beyond this many, a list of _id values is left to mongoeco.
_ID_LIST_LIMIT = 1000


def _plain_ids(values) -> bool:
    """Whether these ``_id`` values are ObjectIds and strings, few enough to list."""
    return 0 < len(values) <= _ID_LIST_LIMIT and all(
        type(value) is str or type(value) in OBJECT_ID_TYPES for value in values
    )


def _id_storage_keys(engine, values) -> list[str] | None:
    """The primary keys documents with these ``_id`` values can have, or None
    when they are not plain ids (left to mongoeco)."""
    if not _plain_ids(values):
        return None
    return sorted({
        engine._storage_key(value if type(value) is str else kind(str(value)))
        for value in values
        for kind in ((str,) if type(value) is str else OBJECT_ID_TYPES)
    })


def _id_conditions_are_identities(plan) -> bool:
    """Whether every condition on ``_id`` in the plan is an equality (or $in)
    with ObjectIds or strings."""
    if getattr(plan, "field", None) == "_id":
        values = [plan.value] if isinstance(plan, EqualsCondition) else getattr(plan, "values", None)
        return isinstance(plan, (EqualsCondition, InCondition)) and _plain_ids(list(values))
    if hasattr(plan, "clause"):
        return _id_conditions_are_identities(plan.clause)
    return all(_id_conditions_are_identities(clause) for clause in getattr(plan, "clauses", ()))


_DECIMAL_TAGS = ("decimal", "decimal128", "decimal128_public")


def _and_id_storage_keys(engine, plan) -> list[str] | None:
    """Primary keys for a filter that is an ``_id`` equality, or ANDs one with other conditions."""
    clauses = plan.clauses if isinstance(plan, AndCondition) else (plan,)
    ids = [clause.value for clause in clauses if isinstance(clause, EqualsCondition) and clause.field == "_id"]
    # A filter that reads $$NOW or other variables is left to mongoeco, which binds them.
    return _id_storage_keys(engine, ids[:1]) if "$$" not in repr(plan) else None


class IndexedReads:
    """Reads that use the indexes and the primary key MongoDB would use."""

    def _field_is_top_level_array_in_collection(self, db_name, coll_name, field):
        """mongoeco asks "does any document hold an array at this path?" before
        using an index for an equality or range match (updates and finds by a
        field), and forgets the answer after every write: one full scan per read
        or update after a write. When an ordered index starts with the field,
        ask its expression index instead (an array reads back there as its JSON
        text, so it lies in the range '[' to '\\'), keeping the exact json_type
        test; the answer is the same."""
        feature_key = (db_name, coll_name, f"top_level_array:{field}")
        if feature_key in self._collection_features_cache:
            return self._collection_features_cache[feature_key]
        if not _leads_an_index(self, db_name, coll_name, field):
            return super()._field_is_top_level_array_in_collection(db_name, coll_name, field)
        tag, text = type_expression_sql(field), value_expression_sql(field)
        path = "'" + json_path_for_field(field).replace("'", "''") + "'"
        result = self._collection_features_cache[feature_key] = _any_document(
            self, db_name, coll_name,
            f"{tag} = '' AND {text} >= '[' AND {text} < '\\' AND json_type(document, {path}) = 'array'",
        )
        return result

    def _field_contains_tagged_value_type_in_collection(self, db_name, coll_name, field, value_type):
        """The same for "does any document hold a decimal (or bytes, or undefined)
        at this path?", which mongoeco asks three times (decimal, decimal128 and
        decimal128_public) before every indexed equality: three full scans per
        read after a write, 50 ms for a student's enrollments among 14,000. The
        expression index's first column is exactly the tag mongoeco looks for
        (or '' where there is none), so one index seek answers."""
        feature_key = (db_name, coll_name, f"tagged_type:{field}:{value_type}")
        if feature_key in self._collection_features_cache:
            return self._collection_features_cache[feature_key]
        if not value_type or not _leads_an_index(self, db_name, coll_name, field):
            return super()._field_contains_tagged_value_type_in_collection(db_name, coll_name, field, value_type)
        result = self._collection_features_cache[feature_key] = _any_document(
            self, db_name, coll_name, f"{type_expression_sql(field)} = ?", (value_type,)
        )
        return result

    def _translate_query_plan_with_multikey(self, db_name, coll_name, plan):
        """Two SQL translations of an equality that SQLite cannot answer with an index.

        ``_id``: mongoeco keeps a document's ``_id`` as its primary key
        (``storage_key``) but matched ``{_id: x}`` and ``{_id: {$in: [...]}}``
        against the JSON payload, which no index covers: a join on ``_id`` read
        every document of the joined collection. For ObjectIds and strings the
        primary key says the same (an ObjectId's key differs only by the Python
        class it was decoded to, so every class is asked for).

        An indexed field: mongoeco keeps a multikey index (array elements) beside
        the expression index of every single-field index, and matches an equality
        with "the value equals, OR an element equals" (a correlated EXISTS on the
        multikey entries). SQLite cannot seek an index for such an OR, so every
        equality on an indexed field read the whole collection: 50 ms for a
        student's enrollments. While no document holds an array in the field (the
        check above, answered by the index), the element branch matches nothing;
        leave it out and the expression index answers, as mongoeco already does
        for fields without a multikey index.

        A string or a number compared to a field that leads an index without a
        multikey index (a unique one, or the first of a compound one) got the
        scalar test alone, which no index covers either: a session lookup by key
        read every session, 20 ms among 3,000. It gets the same index conjunct.
        """
        if isinstance(plan, (EqualsCondition, InCondition)) and plan.field == "_id":
            keys = _id_storage_keys(self, [plan.value] if isinstance(plan, EqualsCondition) else list(plan.values))
            if keys is not None:
                return f"documents.storage_key IN ({', '.join('?' * len(keys))})", keys
        if isinstance(plan, EqualsCondition) and _PLAIN_FIELD.match(plan.field):
            multikey = self._find_multikey_index(db_name, coll_name, plan.field) is not None
            plain_value = type(plan.value) in (str, int, float)
            if (
                (multikey or (plain_value and _leads_an_index(self, db_name, coll_name, plan.field)))
                and not self._field_is_top_level_array_in_collection(db_name, coll_name, plan.field)
            ):
                translate = _translate_scalar_equals if multikey else _translate_equals_scalar_only
                sql, params = translate(plan.field, plan.value, null_matches_undefined=plan.null_matches_undefined)
                if not plain_value:
                    return sql, params
                # mongoeco tests a plain string or number with json_type/json_extract,
                # which no index covers. Those imply the index's own expressions
                # (no type tag, the same value): say so, and SQLite seeks the index.
                tag, text = type_expression_sql(plan.field), value_expression_sql(plan.field)
                return f"({tag} = '' AND {text} = ? AND ({sql}))", [plan.value, *params]
        return super()._translate_query_plan_with_multikey(db_name, coll_name, plan)

    def _plan_requires_python_for_decimal_numeric(self, db_name, coll_name, plan):
        """mongoeco evaluates a filter in Python when any field it names holds a
        decimal somewhere in the collection, and asks that of ``_id`` too: three
        scans of the collection's payloads (no index covers ``_id`` there) after
        every write. A decimal ``_id`` can never equal an ObjectId or a string,
        and those equalities are answered by primary key: when they are all the
        filter asks of ``_id``, leave ``_id`` out of the question."""
        if not _id_conditions_are_identities(plan) or self._plan_contains_decimal_operand(plan):
            return super()._plan_requires_python_for_decimal_numeric(db_name, coll_name, plan)
        fields = self._plan_fields(plan) - {"_id"}
        try:
            return any(
                self._field_contains_tagged_value_type_in_collection(db_name, coll_name, field, tag)
                for field in fields for tag in _DECIMAL_TAGS
            )
        except RuntimeError:
            return super()._plan_requires_python_for_decimal_numeric(db_name, coll_name, plan)

    def _select_first_document_for_plan(self, db_name, coll_name, plan, *, hint=None, context=None):
        """An update whose filter ANDs an ``_id`` with something SQL cannot say
        (Django's F() comparisons become ``$expr``: the conditional seat
        increment) found its document by decoding every document of the
        collection in Python. Only the document with that ``_id`` can match:
        read it by primary key and check the whole filter on it."""
        keys = _and_id_storage_keys(self, plan) if hint is None else None
        if keys is None:
            return super()._select_first_document_for_plan(db_name, coll_name, plan, hint=hint, context=context)
        conn = self._require_connection(context)
        with self._bind_connection(conn), sqlite_read_scope(conn):
            found = self._load_documents_by_storage_keys(db_name, coll_name, keys)
        for storage_key, document in sorted(found.items()):
            if QueryEngine.match_plan(document, plan):
                return storage_key, document
        return None

    def scan_find_semantics(self, db_name, coll_name, semantics, *, context=None):
        """A filter that is an ``_id`` equality matches one document at most, so
        a limit of one changes nothing in the answer, and takes mongoeco's path
        for find_one: a read by primary key, where any other limit (Django's
        get() asks for 21) compiled a query plan and opened a reader."""
        plan = semantics.query_plan
        if semantics.limit != 1 and semantics.skip == 0 and semantics.sort is None and semantics.text_query is None \
                and semantics.collation is None and semantics.hint is None \
                and isinstance(plan, EqualsCondition) and plan.field == "_id" and _plain_ids([plan.value]):
            semantics = dataclasses.replace(semantics, limit=1)
        return super().scan_find_semantics(db_name, coll_name, semantics, context=context)

    def _decode_codec_payload(self, payload, *, preserve_bson_wrappers):
        """mongoeco's decode, with its per-document ``inspect.signature`` call
        (a fifth of the server's time in bulk writes) made once per decoder."""
        decode = self._codec.decode
        function = getattr(decode, "__func__", decode)
        accepts = _accepts_preserve_bson_wrappers.get(function)
        if accepts is None:
            try:
                parameters = inspect.signature(decode).parameters
            except (TypeError, ValueError):
                parameters = {}
            accepts = _accepts_preserve_bson_wrappers[function] = "preserve_bson_wrappers" in parameters
        if not accepts:
            return decode(payload)
        return decode(payload, preserve_bson_wrappers=preserve_bson_wrappers)


# --- Aggregation: $match ahead of $lookup and $unwind -----------------------

_LOGICAL = frozenset({"$and", "$or", "$nor"})


def _filter_paths(match_filter) -> set[str] | None:
    """The field paths a query filter reads, or None when it may read others
    ($expr, $where, $text, $jsonSchema...) or its shape is unusual."""
    if not isinstance(match_filter, dict):
        return None
    paths: set[str] = set()
    for key, value in match_filter.items():
        if not isinstance(key, str):
            return None
        if key in _LOGICAL:
            if not isinstance(value, list) or not value:
                return None
            for clause in value:
                clause_paths = _filter_paths(clause)
                if clause_paths is None:
                    return None
                paths |= clause_paths
        elif key == "$comment":
            continue
        elif key.startswith("$"):
            return None
        else:
            paths.add(key)
    return paths


def _conjuncts(match_filter: dict) -> list[dict]:
    """A filter as the list of filters it is the conjunction of (its keys and
    the clauses of a non-empty top-level $and)."""
    result = []
    for key, value in match_filter.items():
        if key == "$and" and isinstance(value, list) and value and all(isinstance(c, dict) for c in value):
            for clause in value:
                result += _conjuncts(clause)
        else:
            result.append({key: value})
    return result


def _overlaps(path: str, modified: str) -> bool:
    return path == modified or path.startswith(modified + ".") or modified.startswith(path + ".")


def hoist_matches(pipeline: list) -> list:
    """Real MongoDB's optimizer moves a $match (or the conjuncts of one) that
    reads no field a preceding $lookup or $unwind writes ahead of those stages
    (pipeline optimization, ``getModifiedPaths``): a document's fate under
    such a filter is the same before and after the join, and an $unwind's
    copies all share it. django-mongodb-backend puts the filter after every
    select_related() join; mongoeco ran stages as written, so it joined and
    deep-copied every document of the collection before filtering, and its
    indexes were never used (a student's enrollments read every enrollment).
    A filter that may read other fields ($expr, $where, $text...) stays put.
    """
    if not any(isinstance(stage, dict) and "$lookup" in stage for stage in pipeline):
        return pipeline
    result: list = []
    for stage in pipeline:
        spec = stage.get("$match") if isinstance(stage, dict) and len(stage) == 1 else None
        if not isinstance(spec, dict) or not spec:
            result.append(stage)
            continue
        # How far back the run of $lookup/$unwind stages before this one goes.
        start = len(result)
        while start and modified_paths(result[start - 1]) is not None:
            start -= 1
        if start == len(result):
            result.append(stage)
            continue
        conjuncts = _conjuncts(spec)
        targets = []
        for conjunct in conjuncts:
            paths = _filter_paths(conjunct)
            position = len(result)
            if paths is not None:
                while position > start and not any(
                    _overlaps(path, modified) for path in paths for modified in modified_paths(result[position - 1])
                ):
                    position -= 1
            targets.append(position)
        if all(target == len(result) for target in targets):
            result.append(stage)
            continue
        groups: dict[int, list] = {}
        for conjunct, target in zip(conjuncts, targets, strict=True):
            groups.setdefault(target, []).append(conjunct)
        if len(groups) == 1:
            # Moved whole: the same stage, earlier.
            result.insert(targets[0], stage)
            continue
        for target in sorted(groups, reverse=True):
            group = groups[target]
            result.insert(target, {"$match": group[0] if len(group) == 1 else {"$and": group}})
    return result


def hoisted_command(body: dict) -> dict:
    """An ``aggregate`` command (or the ``explain`` of one) with its pipeline's
    matches hoisted; any other command as it is (used by proxy.EmbeddedExecutor)."""
    explained = body.get("explain")
    if isinstance(explained, dict) and "aggregate" in explained:
        hoisted = hoisted_command(explained)
        return body if hoisted is explained else {**body, "explain": hoisted}
    pipeline = body.get("pipeline")
    if "aggregate" not in body or not isinstance(pipeline, list):
        return body
    hoisted = hoist_matches(without_identity_fields(pipeline))
    return body if hoisted is pipeline else {**body, "pipeline": hoisted}


def without_identity_fields(pipeline: list) -> list:
    """The pipeline without ``$addFields`` stages that set top-level fields to
    themselves (``{created_at: "$created_at"}``), which change no document: a
    field that exists keeps its value and its place, a missing one stays
    missing. django-mongodb-backend puts one before every ``$sort`` it sends
    (the order-by columns); it kept mongoeco from handing the ``$sort`` and
    ``$limit`` behind it to SQLite, so a sorted page of the admin's lists
    sorted every document in Python (and past mongoeco's aggregation budget,
    refused), where SQLite walks an index and stops at the page.
    """
    kept = [stage for stage in pipeline if not _sets_fields_to_themselves(stage)]
    return pipeline if len(kept) == len(pipeline) else kept


def _sets_fields_to_themselves(stage) -> bool:
    if not isinstance(stage, dict) or len(stage) != 1:
        return False
    ((operator, fields),) = stage.items()
    return (
        operator in ("$addFields", "$set") and isinstance(fields, dict) and bool(fields)
        and all(
            isinstance(name, str) and "." not in name and not name.startswith("$") and value == f"${name}"
            for name, value in fields.items()
        )
    )


# --- Aggregation: reading only the documents a join needs --------------------

_original_load_source_documents = AsyncAggregationCursor._load_pushdown_source_documents
_original_load_collection_documents = AsyncAggregationCursor._load_collection_documents
# Beyond this many keys, reading the whole joined collection costs no more.
_JOIN_KEY_LIMIT = 1000


@dataclasses.dataclass
class _JoinPlan:
    documents: list
    # collection -> (where its keys come from: "source" or a joined collection, path, foreignField)
    sources: dict
    loaded: dict = dataclasses.field(default_factory=dict)


def _join_sources(pipeline: list) -> dict:
    """Where the keys of each leading localField/foreignField $lookup come from.

    A leading run of $lookup, $unwind, $match, $sort, $skip and $limit stages
    only drops, reorders or adds documents whose fields come from the source
    documents or from the documents joined so far, so a $lookup's local keys
    are among the source documents' values at localField, or among the values
    of an earlier join's documents when localField goes through its "as".
    A collection the pipeline names more than once is read whole.
    """
    counts = collections.Counter(name for name in named_collections(pipeline) if isinstance(name, str))
    sources, joined_as, written = {}, {}, set()
    for stage in pipeline:
        if not isinstance(stage, dict) or len(stage) != 1:
            break
        ((operator, spec),) = stage.items()
        if operator == "$unwind":
            if isinstance(spec, dict) and isinstance(spec.get("includeArrayIndex"), str):
                written.add(spec["includeArrayIndex"].partition(".")[0])
            continue
        if operator in ("$match", "$sort", "$skip", "$limit"):
            continue
        fields = ("from", "localField", "foreignField", "as")
        if operator != "$lookup" or not isinstance(spec, dict) or not all(
            isinstance(spec.get(field), str) for field in fields
        ):
            break
        name, local, foreign = spec["from"], spec["localField"], spec["foreignField"]
        head, _, rest = local.partition(".")
        if counts[name] == 1 and head not in written:
            if head not in joined_as:
                sources[name] = ("source", local, foreign)
            elif rest:
                sources[name] = (joined_as[head], rest, foreign)
        if "." in spec["as"]:
            # Joined documents inside another field: what lies below it comes from neither.
            written.add(spec["as"].partition(".")[0])
        else:
            joined_as[spec["as"]] = name
    return sources


def _join_keys(documents, path) -> list:
    keys = {}
    for document in documents:
        values = QueryEngine.extract_values(document, path)
        for value in values or [None]:
            keys.setdefault(repr(value), value)
    return list(keys.values())


async def _load_pushdown_source_documents(self, pipeline, *, dialect):
    """Real MongoDB runs a $lookup on localField/foreignField as one indexed
    lookup per joined key; mongoeco reads every document of the joined
    collection before the pipeline runs (a student's five enrollments joined
    all 200 courses, then every term). Remember the source documents, so that
    the joined collections' read can be narrowed to the keys they hold."""
    documents = await _original_load_source_documents(self, pipeline, dialect=dialect)
    if self._collation is None and isinstance(pipeline, list):
        sources = _join_sources(pipeline)
        self._join_plan = _JoinPlan(documents, sources) if sources else None
    return documents


async def _load_collection_documents(self, collection_name):
    """A joined collection's documents, read by the keys that reach the join
    where the pipeline allows it; the query cache learns which (record_join)."""
    plan = getattr(self, "_join_plan", None)
    if plan is None:
        record_join(collection_name, ALL)
        return await _original_load_collection_documents(self, collection_name)
    if collection_name in plan.loaded:
        return plan.loaded[collection_name]
    source = plan.sources.get(collection_name)
    documents, reached = None, ALL
    if source is not None:
        origin, path, foreign = source
        keyed = plan.documents if origin == "source" else await _load_collection_documents(self, origin)
        if origin != "source" and foreign != "_id":
            # A source document that joined nothing reaches this join with
            # the field missing, which joins documents where it is null or missing.
            keyed = [{}, *keyed]
        keys = _join_keys(keyed, path)
        if not keys:
            # No document reaches the join: reading for $in [] had cost a
            # scan of the whole collection, 3,000 courses for a student who
            # has none.
            documents, reached = [], ()
        elif foreign == "_id" and (storage_keys := _join_storage_keys(self._collection._engine, keys)) is not None:
            documents, reached = await _documents_with_storage_keys(self, collection_name, storage_keys), storage_keys
        elif len(keys) <= _JOIN_KEY_LIMIT:
            # $in matches what a join on these keys matches (null matches missing, array elements).
            operation = aggregation_cursor.compile_find_operation(
                {foreign: {"$in": keys}}, comment=self._comment, max_time_ms=self._max_time_ms,
                dialect=getattr(self._collection, "mongodb_dialect", aggregation_cursor.MONGODB_DIALECT_70),
            )
            scan = self._scan_collection_with_operation(collection_name, operation)
            documents = [document async for document in scan]
    if documents is None:
        documents = await _original_load_collection_documents(self, collection_name)
    record_join(collection_name, reached)
    plan.loaded[collection_name] = documents
    return documents


def _join_storage_keys(engine, keys) -> list[str] | None:
    """Primary keys of the documents a join on ``_id`` with these keys
    reaches (a missing or null key reaches an ``_id`` of null; an array,
    which no ``_id`` can be, reaches none but through its elements, which
    are keys of their own), or None when the keys are not plain ids."""
    ids = [key for key in keys if key is not None and type(key) is not list]
    storage_keys = _id_storage_keys(engine, ids) if ids else []
    if storage_keys is not None and None in keys:
        storage_keys.append(engine._storage_key(None))
    return storage_keys


async def _documents_with_storage_keys(cursor, collection_name, storage_keys) -> list:
    """The documents of a join on ``_id`` (every select_related() is one),
    read by primary key as MongoDB reads them through the ``_id`` index.
    mongoeco's scan for ``{_id: {$in: keys}}`` compiles a query plan and
    opens a reader and a snapshot for it: about 1 ms per join, a third of a
    course page's read with its term. Expired documents of a TTL index are
    purged first, as the scan does."""
    engine, context = cursor._collection._engine, cursor._operation_context
    now = engine._ttl_now() if context is None else context.expressions.now.replace(tzinfo=datetime.UTC)
    return await engine._run_blocking(
        _read_storage_keys, engine, cursor._collection._db_name, collection_name, storage_keys,
        None if context is None else context.session, now,
    )


def _read_storage_keys(engine, db_name, coll_name, storage_keys, session, now) -> list:
    engine._ensure_session_can_use_engine(session)
    with engine._lock:
        conn = engine._require_connection(session)
        with engine._bind_connection(conn):
            engine._purge_expired_documents_sync(conn, db_name, coll_name, context=session, now=now)
            with sqlite_read_scope(conn):
                found = engine._load_documents_by_storage_keys(db_name, coll_name, storage_keys)
    # In primary-key order, as the scan returns them.
    return [found[key] for key in sorted(found)]


# --- Copying documents --------------------------------------------------------

# Values that deepcopy may share: immutable, and compared by value.
_IMMUTABLE = frozenset({str, int, float, bool, type(None), bytes, datetime.datetime, *OBJECT_ID_TYPES, bson.ObjectId})


# Where mongoeco copies documents: aggregation stages, and on every write the
# document written and its before/after images, several times over.
COPYING_MODULES = (
    join_stages, runtime, stages, transform_stages,
    collection_api, _collection_insert, _collection_runtime, _sqlite_modify_ops, engine_results, sqlite_engine,
)


def _copy_document(value, memo=None):
    """Real MongoDB gives each stage's output document its own value. mongoeco
    makes that copy with ``copy.deepcopy`` for every document at every
    $lookup, $unwind and $addFields stage; most of a select_related() query's
    time went to deepcopy's generic machinery (memo table, ObjectIds rebuilt
    through ``__reduce_ex__``). Copy the dicts and lists, share the immutable
    scalars, and leave any other type to deepcopy: the same values."""
    kind = type(value)
    if kind is dict:
        return {key: _copy_document(item) for key, item in value.items()}
    if kind is list:
        return [_copy_document(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value, memo)


REPLACEMENTS = (
    (AsyncAggregationCursor, "_load_pushdown_source_documents", _load_pushdown_source_documents),
    (AsyncAggregationCursor, "_load_collection_documents", _load_collection_documents),
    *((module, "deepcopy", _copy_document) for module in COPYING_MODULES),
)
