"""Sorted pages read in index order, as MongoDB reads them.

A page of a list (Django's ``order_by(...)[:n]``: a ``$sort`` then a
``$limit``) is one index walk on MongoDB. mongoeco walks an index only for a
sort on one field where every document holds a number, or every one a string,
and it learns both by reading every document of the collection, with two
more full reads to ask whether any holds an array or a number kept as an
object: answers it forgets at each write to the collection. A sort on a date,
or on a field then ``_id`` (the admin's order: Django appends the primary key
so that pages do not overlap), it sorts over every document in SQL. So under
a stream of writes a page of the newest of 137,000 enrollments took 1.9 s
and a page of 2,000 courses 15 ms.

:class:`IndexedSorts` asks the expression index mongoeco keeps for every
ordered index instead. Its columns are a field's type tag ('' for plain JSON
values) and its value; for a field that leads an index:

- the first and last tag tell whether every document holds one kind there:
  every one a date (stored as naive UTC ISO text, which sorts as time does),
  or none tagged, and then no value below '' (a number, a boolean, a null or
  a missing field) and no array or object, which leaves strings (compared
  byte by byte, as MongoDB compares strings without a collation);
- arrays and objects read back as JSON text ('[' or '{' first), so they are
  found by seeking those ranges, keeping mongoeco's exact ``json_type`` test;
- a trailing ``_id`` sorts as the primary key (``storage_key``) does when
  every ``_id`` of the collection is an ObjectId of one class: the keys then
  differ only by the hexadecimal id, and the first and last key say so.

Where an index's fields are the filter's equalities then the sort field (as
MongoDB would use it), the page is then ``ORDER BY`` those index columns
(and the key), which SQLite answers by walking the index and stopping at the
page. Anything else is left to mongoeco. The answers are kept in mongoeco's
own per-collection feature cache, emptied at each write, and found again by
a few index seeks.
Tests: ``tests/test_sorting.py``.
"""

from mongoeco._types._bson_objectid import OBJECT_ID_TYPES
from mongoeco.core.query_plan import AndCondition, EqualsCondition, MatchAll
from mongoeco.engines._sqlite_fast_paths import build_select_statement_with_custom_order
from mongoeco.engines.sqlite_query import json_path_for_field, type_expression_sql, value_expression_sql

from .speed import _PLAIN_FIELD, _any_document, _fast_path_index, _leads_an_index

# Tags whose values mongoeco sorts only in Python: numbers kept as objects, bytes, undefined.
_PYTHON_SORTED_TAGS = ("int64", "decimal", "decimal128", "decimal128_public", "bytes", "undefined")
DATE, STRING = "datetime", "string"


class IndexedSorts:
    """A sorted page over an indexed date or string field (then ``_id``), cut by SQLite."""

    def _sort_requires_python(self, db_name, coll_name, plan, sort):
        """mongoeco's question ("may this sort need Python?"), answered from the
        indexes when every sort field leads one or is an ObjectId ``_id``. It
        asks it of the filtered documents; this asks it of the whole collection,
        which can only say "Python" more often."""
        if not sort or not all(_indexed_kind(self, db_name, coll_name, field) for field, _ in sort):
            return super()._sort_requires_python(db_name, coll_name, plan, sort)
        return self._plan_has_array_traversing_paths(db_name, coll_name, plan)

    def _build_scalar_sort_select_sql(self, db_name, coll_name, plan, *, select_clause, sort, skip, limit, hint):
        order = _index_order(self, db_name, coll_name, plan, sort) if hint is None and sort else None
        if order is None:
            return super()._build_scalar_sort_select_sql(
                db_name, coll_name, plan, select_clause=select_clause, sort=sort, skip=skip, limit=limit, hint=hint,
            )
        return build_select_statement_with_custom_order(
            select_clause=select_clause,
            from_clause="documents",
            namespace_sql="db_name = ? AND coll_name = ?",
            namespace_params=(db_name, coll_name),
            where_fragment=self._translate_query_plan_with_multikey(db_name, coll_name, plan),
            order_sql=order,
            skip=skip,
            limit=limit,
        )


def _index_order(engine, db_name, coll_name, plan, sort) -> str | None:
    """The ORDER BY for ``[(field, d)]`` or ``[(field, d), ("_id", d)]``, or None.

    Only where an index serves the filter and the order together, as MongoDB
    would use it: its fields are the filter's equalities, then the sort field.
    Otherwise SQLite, which keeps no statistics, may walk the sort field's
    index over the whole collection for a filter that another index finds in
    one seek (a student's enrollment in a course, newest first: 270 ms among
    137,000 instead of 3).
    """
    sort = list(sort)
    if len(sort) > 2 or (len(sort) == 2 and sort[1][0] != "_id") or any(d not in (1, -1) for _, d in sort):
        return None
    field, direction = sort[0]
    equalities = _equality_fields(plan)
    if field == "_id" or equalities is None or not _index_serves(engine, db_name, coll_name, equalities, field):
        return None
    kinds = [_indexed_kind(engine, db_name, coll_name, name) for name, _ in sort]
    if kinds[0] not in (DATE, STRING) or not all(kinds):
        return None
    order = "ASC" if direction == 1 else "DESC"
    terms = [f"{type_expression_sql(field)} {order}", f"{value_expression_sql(field)} {order}"]
    if len(sort) == 2:
        terms.append(f"documents.storage_key {'ASC' if sort[1][1] == 1 else 'DESC'}")
    return " ORDER BY " + ", ".join(terms)


def _equality_fields(plan) -> frozenset | None:
    """The plain fields a filter sets equal to a value (empty for no filter), or
    None when it says anything else."""
    if isinstance(plan, MatchAll):
        return frozenset()
    clauses = plan.clauses if isinstance(plan, AndCondition) else (plan,)
    if not all(isinstance(clause, EqualsCondition) and _PLAIN_FIELD.match(clause.field) for clause in clauses):
        return None
    return frozenset(clause.field for clause in clauses)


def _index_serves(engine, db_name, coll_name, equalities: frozenset, field: str) -> bool:
    return any(
        _fast_path_index(index)
        and len(index["fields"]) > len(equalities)
        and frozenset(index["fields"][: len(equalities)]) == equalities
        and index["fields"][len(equalities)] == field
        for index in engine._load_indexes(db_name, coll_name)
    )


def _indexed_kind(engine, db_name, coll_name, field) -> str | None:
    """DATE or STRING when every document of the collection holds that kind in
    field, "objectid" for an ``_id`` that sorts as the primary key, "other"
    for an indexed field that holds no array, no plain object and no number
    kept as an object; None when the indexes cannot tell (mongoeco decides)."""
    key = (db_name, coll_name, f"indexed_sort_kind:{field}")
    cache = engine._collection_features_cache
    if key not in cache:
        if field == "_id":
            cache[key] = "objectid" if _ids_sort_as_keys(engine, db_name, coll_name) else None
        elif _PLAIN_FIELD.match(field) and _leads_an_index(engine, db_name, coll_name, field):
            cache[key] = _field_kind(engine, db_name, coll_name, field)
        else:
            cache[key] = None
    return cache[key]


def _field_kind(engine, db_name, coll_name, field) -> str | None:
    tag, value = type_expression_sql(field), value_expression_sql(field)
    path = "'" + json_path_for_field(field).replace("'", "''") + "'"
    # Arrays and tags through IndexedReads' own index-backed checks (cached
    # like these answers); plain objects by their range of the index.
    if (
        engine._field_is_top_level_array_in_collection(db_name, coll_name, field)
        or any(
            engine._field_contains_tagged_value_type_in_collection(db_name, coll_name, field, python_sorted)
            for python_sorted in _PYTHON_SORTED_TAGS
        )
        or _any_document(
            engine, db_name, coll_name,
            f"{tag} = '' AND {value} >= '{{' AND {value} < '|' AND json_type(document, {path}) = 'object'",
        )
    ):
        return None
    first, last = (_edge(engine, db_name, coll_name, tag, order) for order in ("ASC", "DESC"))
    if first is None or first != last:
        return "other"
    if first == DATE:
        return DATE
    # Each condition is one range of the index (an OR would read the whole of it).
    not_strings = (f"{tag} = '' AND {value} IS NULL", f"{tag} = '' AND {value} < ''")
    if first == "" and not any(_any_document(engine, db_name, coll_name, condition) for condition in not_strings):
        return STRING
    return "other"


def _edge(engine, db_name, coll_name, expression, order):
    row = engine._require_connection().execute(
        f"SELECT {expression} FROM documents WHERE db_name = ? AND coll_name = ? ORDER BY {expression} {order} LIMIT 1",
        (db_name, coll_name),
    ).fetchone()
    return None if row is None else row[0]


def _ids_sort_as_keys(engine, db_name, coll_name) -> bool:
    """Whether every ``_id`` is an ObjectId of one class, so that the primary
    keys (the repr of the class and the id) sort as the ids do."""
    first, last = (_edge(engine, db_name, coll_name, "storage_key", order) for order in ("ASC", "DESC"))
    if first is None:
        return False
    return any(
        engine._storage_key(kind("0" * 24)) <= first and last <= engine._storage_key(kind("f" * 24))
        for kind in OBJECT_ID_TYPES
    )
