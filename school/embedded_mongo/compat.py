"""Workarounds for the gaps between mongoeco and real MongoDB.

Pinned to one mongoeco version: each workaround reaches into mongoeco's
internals, so an upgrade must re-run ``tests/embedded_mongo`` and drop what
mongoeco has fixed. Every workaround restores a behaviour of real MongoDB
and has a test that fails without it. They are applied once, when this
module is imported (by the server process only).
"""

import dataclasses
import random

import mongoeco
from mongoeco.core.aggregation import preparation, register_aggregation_expression_operator
from mongoeco.engines import sqlite as sqlite_engine
from mongoeco.engines import sqlite_query
from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.errors import OperationFailure
from mongoeco.types import default_index_name, normalize_index_keys
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

PINNED_MONGOECO_VERSION = "4.11.0"

if mongoeco.__version__ != PINNED_MONGOECO_VERSION:
    raise ImportError(
        f"school.embedded_mongo.compat is written for mongoeco {PINNED_MONGOECO_VERSION}, "
        f"found {mongoeco.__version__}: re-check every workaround before changing the pin"
    )


class CompatProxyServer(AsyncMongoEcoProxyServer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        build_context = self._executor._build_request_context

        def canonical_command_context(body, **context_kwargs):
            return build_context(_canonical_command_name(body, self._surface), **context_kwargs)

        self._executor._build_request_context = canonical_command_context


def _canonical_command_name(body: dict, surface) -> dict:
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


_SUB_SPEC_STAGES = frozenset({"$project", "$addFields", "$set"})
_original_prepare_builtin_stage = preparation._prepare_builtin_stage


def _prepare_builtin_stage(operator, spec, **kwargs):
    """In real MongoDB's ``$project``/``$addFields``/``$set`` a nested document
    that is not an expression is a sub-specification: ``{"a": {"b": 1}}`` means
    ``{"a.b": 1}`` (include ``a.b``; in ``$addFields``, add ``b`` to the existing
    ``a``). mongoeco evaluates it as a literal object, so values_list() over a
    relation returned ``1`` and ``$addFields`` replaced the whole related object.
    Flatten sub-specifications to the dotted paths mongoeco handles correctly.
    """
    if operator in _SUB_SPEC_STAGES and isinstance(spec, dict):
        spec = _dotted_spec(spec)
    return _original_prepare_builtin_stage(operator, spec, **kwargs)


def _dotted_spec(spec: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in spec.items():
        if _is_sub_spec(value):
            flat.update(_dotted_spec(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _is_sub_spec(value) -> bool:
    return isinstance(value, dict) and bool(value) and not str(next(iter(value))).startswith("$")


_IN_CHUNK = 100
_original_translate_membership = sqlite_query._translate_membership
_original_translate_in_with_multikey = SQLiteEngine._translate_in_with_multikey


def _balanced_membership_sql(translate, values, joiner):
    """Real MongoDB accepts ``$in``/``$nin`` with thousands of values. mongoeco
    translates them to one flat OR chain whose depth breaks SQLite's expression
    limit ("Expression tree is too large") past ~500 values. Translate chunks
    of values and join them as a balanced tree of parenthesised clauses.
    """
    if len(values) <= _IN_CHUNK:
        return translate(values)
    half = len(values) // 2
    left_sql, left_params = _balanced_membership_sql(translate, values[:half], joiner)
    right_sql, right_params = _balanced_membership_sql(translate, values[half:], joiner)
    return f"({left_sql}){joiner}({right_sql})", [*left_params, *right_params]


def _translate_membership(field, values, *, negated, **kwargs):
    # Each negated chunk is "null-or-missing OR NOT (chunk matches)": AND them.
    return _balanced_membership_sql(
        lambda chunk: _original_translate_membership(field, chunk, negated=negated, **kwargs),
        tuple(values),
        " AND " if negated else " OR ",
    )


def _translate_in_with_multikey(self, collection_id, db_name, coll_name, plan, index):
    return _balanced_membership_sql(
        lambda chunk: _original_translate_in_with_multikey(
            self, collection_id, db_name, coll_name, dataclasses.replace(plan, values=chunk), index
        ),
        tuple(plan.values),
        " OR ",
    )


_original_create_index = sqlite_engine._sqlite_create_index


def _create_index(conn, *, keys, name, collation, partial_filter_expression, load_indexes, **kwargs):
    """Real MongoDB identifies an index by key pattern, collation and
    partialFilterExpression: two indexes on one key pattern with different
    filters (and names) coexist, each unique one enforced only on the
    documents its filter matches (django-allauth's EmailAddress migrations
    need this). mongoeco refuses any second index on a key pattern, so hide
    the indexes that differ in filter or collation from its conflict check.
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

    return _original_create_index(
        conn,
        keys=keys,
        name=name,
        collation=collation,
        partial_filter_expression=partial_filter_expression,
        load_indexes=lambda db_name, coll_name: [
            index for index in load_indexes(db_name, coll_name) if not distinct_index(index)
        ],
        **kwargs,
    )


register_aggregation_expression_operator("$not", _not_expression)
register_aggregation_expression_operator("$rand", _rand_expression)
preparation._prepare_builtin_stage = _prepare_builtin_stage
sqlite_query._translate_membership = _translate_membership
SQLiteEngine._translate_in_with_multikey = _translate_in_with_multikey
sqlite_engine._sqlite_create_index = _create_index


def make_server(path: str, *, host: str, port: int) -> AsyncMongoEcoProxyServer:
    return CompatProxyServer(engine=SQLiteEngine(path), host=host, port=port)


def connection_count(server: AsyncMongoEcoProxyServer) -> int:
    return len(server._handlers)
