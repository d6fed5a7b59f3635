"""Django's counts answered by counting rows, as MongoDB counts with an index.

``QuerySet.count()`` (the catalog's "N courses found", every paginator)
sends one aggregate of a fixed shape::

    [{$match: F}?,                       # the queryset's filter, if any
     {$group: {_id: null, __count: {$sum: <1 for every document>}}},
     {$addFields: {__now: "$$NOW"}},
     {$unionWith: {pipeline: [{$documents: [{}]}]}},
     {$limit: 1},
     {$project: {__count: {$ifNull: ["$__count", {$literal: 0}]}}}]

mongoeco evaluates the ``$group`` in Python over every document, decoded,
and counts it against its 50,000-document aggregation budget, past which it
refuses the count: 130 ms for 2,000 courses after each write, a refusal
for 137,000 enrollments. MongoDB answers the same count from an index
(a COUNT_SCAN) or from the collection's record count, and has no such
budget. A pipeline of exactly that shape is answered here with mongoeco's
``count_documents(F)``, which counts rows in SQLite through the indexes its
filter can use (decoding documents only for a filter SQL cannot express)
and gives the documents that pipeline gives: ``{_id: null, __count: n}``,
or ``{__count: 0}`` when nothing matches. Any other pipeline, and any
command with options that could change the answer, runs as before.

Used by :class:`.proxy.EmbeddedExecutor`, under the query cache;
``tests/test_counting.py`` checks the answers against MongoDB's and counts
the documents decoded.
"""

from bson import Int64

# Fields of an aggregate command that do not change its answer.
_PLAIN_FIELDS = frozenset({"aggregate", "pipeline", "cursor", "lsid", "$db", "$clusterTime", "$readPreference"})
_SUFFIX_BEFORE_PROJECT = [
    {"$addFields": {"__now": "$$NOW"}},
    {"$unionWith": {"pipeline": [{"$documents": [{}]}]}},
    {"$limit": 1},
]


def counted_filter(command: dict) -> dict | None:
    """The filter whose documents Django's count pipeline counts, or None for any other command."""
    if command.keys() - _PLAIN_FIELDS or not isinstance(command.get("aggregate"), str):
        return None
    pipeline = command.get("pipeline")
    if not isinstance(pipeline, list) or command.get("cursor") not in ({}, None):
        return None
    filter_spec = {}
    if pipeline and isinstance(pipeline[0], dict) and pipeline[0].keys() == {"$match"}:
        filter_spec, pipeline = pipeline[0]["$match"], pipeline[1:]
        if not isinstance(filter_spec, dict):
            return None
    if len(pipeline) != 5 or pipeline[1:4] != _SUFFIX_BEFORE_PROJECT:
        return None
    group, project = pipeline[0], pipeline[4]
    if group.keys() != {"$group"} or project != {"$project": {"__count": {"$ifNull": ["$__count", {"$literal": 0}]}}}:
        return None
    if group["$group"].keys() != {"_id", "__count"} or group["$group"]["_id"] is not None:
        return None
    total = group["$group"]["__count"]
    if not (isinstance(total, dict) and total.keys() == {"$sum"} and _one_for_every_document(total["$sum"])):
        return None
    return filter_spec


def _one_for_every_document(expression) -> bool:
    """Whether ``expression`` is 1 whatever the document: a 1, or Django's ``Count("*")``
    (1 when a constant is neither missing nor null, else nothing)."""
    if expression == 1 or expression == {"$literal": 1}:
        return True
    if not (isinstance(expression, dict) and expression.keys() == {"$switch"}):
        return False
    switch = expression["$switch"]
    if switch.keys() != {"branches", "default"} or switch["default"] != "$$REMOVE" or len(switch["branches"]) != 1:
        return False
    branch = switch["branches"][0]
    if not isinstance(branch, dict) or branch.get("then") != {"$literal": 1}:
        return False
    case = branch.get("case")
    try:
        ((first, second),) = [case["$not"]["$or"]]
        constant = first["$eq"][0]["$type"]
        is_missing = first == {"$eq": [{"$type": constant}, "missing"]}
        is_null = second == {"$eq": [constant, None]}
    except (KeyError, IndexError, TypeError, ValueError):
        return False
    return (
        is_missing and is_null and case.keys() == {"$not"} and isinstance(constant, dict)
        and constant.keys() == {"$literal"} and constant["$literal"] is not None
    )


def count_reply(db_name: str, command: dict, count: int) -> dict:
    """What the count pipeline answers: the group's document, or the union's when nothing matched."""
    document = {"_id": None, "__count": count} if count else {"__count": 0}
    namespace = f"{db_name}.{command['aggregate']}"
    return {"cursor": {"firstBatch": [document], "id": Int64(0), "ns": namespace}, "ok": 1.0}
