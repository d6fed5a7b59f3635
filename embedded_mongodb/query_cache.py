"""Answer a repeated read from memory while nothing it reads has changed.

Why: mongoeco evaluates a query in Python, so even a read by primary key
costs milliseconds of the server's one core, and Django asks the same
questions on every page view (the logged-in user, the catalog's count and its
first page). Real MongoDB answers those from its cache in microseconds; this
gives the embedded server the same property for reads that repeat (what it
saved: ``docs/performance.md``).

Correctness rests on one rule: an answer is reused only while no command
that could change what it read has run since, or is running.

- Every command that is not a known read counts as a write. One aimed at a
  collection (insert, update, delete, findAndModify, index and collection
  commands) changes that collection's version; any other (transactions'
  commit and abort, renames, ``$out``/``$merge`` pipelines, anything unknown)
  changes every version, in every database. A write changes them when it starts and again when it
  ends, so a read that overlaps a write in any way is never stored.
- A read depends on its collection and on every collection its pipeline
  names (``$lookup``/``$graphLookup`` ``from``, ``$unionWith``), and is stored
  with their versions as they were when it started, only if they are still
  the same when it ends. A pipeline naming a collection other than by its
  plain name (another database's) is not cached.
- Reads inside a transaction bypass the cache (they must see the
  transaction's own writes), as do reads whose answer depends on the clock or
  chance (``$$NOW``, ``$rand``, ``$sample``...), with one exception: Django
  adds ``$$NOW`` to its count pipelines and projects it away unused.
- One exception to the joined collections: when an empty answer is asked
  again and only a joined collection changed since, and no document of the
  pipeline's own collection meets its filter's conditions on that
  collection's fields (a probe: one ``$match`` with ``$limit: 1``), the
  answer is stored as depending on its own collection alone. A course
  without prerequisites is asked for them at every enrollment, and every
  enrollment writes the course collection they are joined with.
- Only complete answers (cursor id 0, at most ``MAX_DOCUMENTS`` documents)
  are kept, ``MAX_CACHED_DOCUMENTS`` documents in all, least recently used
  first out.

Used by :class:`.proxy.EmbeddedExecutor`; the tests in
``tests/test_query_cache.py`` fail without it.
"""

import copy
from collections import OrderedDict
from typing import NamedTuple

from mongoeco.core.aggregation.runtime import _require_unwind_spec
from mongoeco.errors import OperationFailure

MAX_DOCUMENTS = 1000
# Documents held in all answers together (a few tens of MB at most).
MAX_CACHED_DOCUMENTS = 20_000

READS = frozenset({"find", "aggregate", "count", "distinct"})
# Commands that change no stored document.
HARMLESS = frozenset({
    "buildInfo", "buildinfo", "collStats", "connectionStatus", "dbStats", "endSessions", "explain",
    "getCmdLineOpts", "getLog", "getMore", "getParameter", "hello", "hostInfo", "isMaster", "ismaster",
    "killCursors", "listCollections", "listCommands", "listDatabases", "listIndexes", "ping", "saslContinue",
    "saslStart", "serverStatus", "startSession", "whatsmyuri",
})
COLLECTION_WRITES = frozenset({
    "collMod", "create", "createIndexes", "delete", "drop", "dropIndexes", "findAndModify", "findandmodify",
    "insert", "update",
})
VOLATILE = frozenset({
    "$$NOW", "$$CLUSTER_TIME", "$$USER_ROLES", "$rand", "$sample", "$sampleRate", "$currentOp",
    "$listSessions", "$listLocalSessions", "$collStats", "$indexStats", "$planCacheStats", "$changeStream",
    "$function", "$accumulator", "$where", "$out", "$merge",
})
# Fields of a command that identify the caller or the moment, not the question.
UNKEYED = frozenset({"lsid", "$clusterTime", "$readPreference", "$db"})
EVERYTHING = None


class _Entry(NamedTuple):
    names: tuple  # the collections the answer depends on
    versions: tuple  # theirs when it was read (the server-wide one first)
    answer: dict
    documents: int


class QueryCache:
    def __init__(self):
        # key -> _Entry, least recently used first
        self.entries: OrderedDict = OrderedDict()
        self.documents = 0
        self.versions: dict = {}

    def wrap(self, execute):
        """``execute_prepared`` of mongoeco's wire executor, answering repeated reads from memory."""

        async def execute_prepared(context):
            plan = _plan(context)
            if plan is None:
                return await execute(context)
            kind, names = plan
            if kind == "write":
                self._bump(context.db_name, names)
                try:
                    return await execute(context)
                finally:
                    self._bump(context.db_name, names)
            key = (context.db_name, _key(context.command_document))
            before = self._versions_of(context.db_name, names)
            entry = self.entries.get(key)
            if entry is not None and self._versions_of(context.db_name, entry.names) == entry.versions:
                self.entries.move_to_end(key)
                return _copy(entry.answer)
            result = await execute(context)
            if self._versions_of(context.db_name, names) != before or not _complete(result):
                return result
            # Only a joined collection changed since the last answer, and the
            # collection read first holds nothing the filter asks for: nothing
            # joined can reach the answer until that one changes.
            if (
                entry is not None and len(names) > 1 and entry.versions[:2] == before[:2] and _empty(result)
                and await self._base_is_empty(execute, context)
                and self._versions_of(context.db_name, names[:1]) == before[:2]
            ):
                names, before = names[:1], before[:2]
            self._store(key, names, before, result)
            return result

        return execute_prepared

    async def _base_is_empty(self, execute, context) -> bool:
        """Whether no document of the pipeline's own collection passes the
        conditions of its filter on that collection's fields."""
        base = _base_filter(context.command_document.get("pipeline"))
        if base is None:
            return False
        pipeline = [{"$match": base}, {"$limit": 1}, {"$project": {"_id": 1}}]
        probe = copy.replace(
            context,
            command_document={**context.command_document, "pipeline": pipeline},
            raw_body={**context.raw_body, "pipeline": pipeline},
        )
        answer = await execute(probe)
        return _complete(answer) and _empty(answer)

    def _store(self, key, names, versions, result):
        if key in self.entries:
            self.documents -= self.entries.pop(key).documents
        size = len(result["cursor"]["firstBatch"]) if "cursor" in result else 1
        self.entries[key] = _Entry(names, versions, _copy(result), size)
        self.documents += size
        while self.documents > MAX_CACHED_DOCUMENTS:
            self.documents -= self.entries.popitem(last=False)[1].documents

    def _bump(self, db_name, names):
        # EVERYTHING: a command of unknown reach, in any database.
        for key in [(None, None)] if names is EVERYTHING else [(db_name, name) for name in names]:
            self.versions[key] = self.versions.get(key, 0) + 1

    def _versions_of(self, db_name, names):
        return (self.versions.get((None, None), 0), *(self.versions.get((db_name, name), 0) for name in names))


def _plan(context):
    """("read", collections) for a cacheable read, ("write", collections or EVERYTHING)
    for a command that may change data, None for one that neither reads cacheably nor writes."""
    name, command = context.command_name, context.command_document
    target = command.get(name)
    if name in READS:
        pipeline = command.get("pipeline", [])
        if _writes_out(pipeline):
            return "write", EVERYTHING
        joined = _joined(pipeline)
        if "txnNumber" in context.raw_body or not isinstance(target, str) or joined is None \
                or _volatile(_without_unused_now(command)):
            return None
        return "read", (target, *sorted(joined))
    if name in HARMLESS:
        return None
    if name in COLLECTION_WRITES and isinstance(target, str):
        return "write", (target,)
    return "write", EVERYTHING


def _writes_out(pipeline) -> bool:
    return isinstance(pipeline, list) and any(isinstance(stage, dict) and ("$out" in stage or "$merge" in stage)
                                              for stage in pipeline)


def named_collections(value) -> list:
    """What every $lookup, $graphLookup and $unionWith stage of a pipeline
    (nested ones included) names as the collection it reads, in order: a
    name, None for a stage that reads none ($documents), or the document
    naming another database's collection."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("$lookup", "$graphLookup", "$unionWith") and isinstance(item, (dict, str)):
                found.append(item if isinstance(item, str) else item.get("coll" if key == "$unionWith" else "from"))
            found += named_collections(item)
    elif isinstance(value, list):
        for item in value:
            found += named_collections(item)
    return found


def _joined(pipeline) -> set[str] | None:
    """Collections a pipeline reads besides its own; None when one is named
    other than by a plain name (another database's, say)."""
    names = [name for name in named_collections(pipeline) if name is not None]
    return set(names) if all(isinstance(name, str) for name in names) else None


# Stages that, given no documents, give the same answer whatever the joined
# collections hold: a $lookup or $graphLookup reads only for the documents
# that reach it. $unionWith and $documents bring in documents of their own.
_NO_DOCUMENTS_OF_THEIR_OWN = frozenset({
    "$lookup", "$unwind", "$match", "$addFields", "$set", "$project", "$unset", "$sort", "$limit", "$skip",
    "$count", "$group",
})


def _base_filter(pipeline) -> dict | None:
    """The conditions of a pipeline's first ``$match`` on its own collection's
    fields, when only joins come before it (Django puts its select_related
    ``$lookup`` stages first) and no stage brings in documents of its own;
    otherwise None. Every document of the answer comes from a document of
    the collection that meets these conditions: fields a ``$lookup`` or an
    ``$unwind`` writes (and conditions on operators) are left out."""
    if not isinstance(pipeline, list) or not all(
        isinstance(stage, dict) and len(stage) == 1 and next(iter(stage)) in _NO_DOCUMENTS_OF_THEIR_OWN
        for stage in pipeline
    ):
        return None
    written = set()
    for stage in pipeline:
        (name, spec), = stage.items()
        if name == "$match" and isinstance(spec, dict):
            base = {field: condition for field, condition in spec.items()
                    if not field.startswith("$") and field.split(".")[0] not in written}
            return base or None
        paths = modified_paths(stage)
        if paths is None:
            return None
        written.update(path.split(".")[0] for path in paths)
    return None


def modified_paths(stage) -> tuple[str, ...] | None:
    """The only paths a $lookup or $unwind stage writes (it reads others
    only to join or to unwind), or None for any other or malformed stage."""
    if not isinstance(stage, dict) or len(stage) != 1:
        return None
    ((operator, spec),) = stage.items()
    if operator == "$lookup":
        if isinstance(spec, dict) and isinstance(spec.get("as"), str) and isinstance(spec.get("from"), str):
            return (spec["as"],)
        return None
    if operator == "$unwind":
        try:
            path, _preserve, include_array_index = _require_unwind_spec(spec)
        except OperationFailure:
            return None
        return (path,) if include_array_index is None else (path, include_array_index)
    return None


def _volatile(value) -> bool:
    if isinstance(value, str):
        return value in VOLATILE or value.startswith(("$$NOW.", "$$CLUSTER_TIME."))
    if isinstance(value, dict):
        return any(key in VOLATILE or _volatile(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_volatile(item) for item in value)
    return False


def _without_unused_now(command: dict) -> dict:
    """The command without ``{"$addFields": {field: "$$NOW"}}`` stages whose field
    nothing else mentions and a final inclusion ``$project`` leaves out, as
    Django's count pipelines have: the clock cannot reach their answer."""
    pipeline = command.get("pipeline")
    if not isinstance(pipeline, list) or not pipeline or not _inclusion_project(pipeline[-1]):
        return command
    kept = []
    for position, stage in enumerate(pipeline):
        fields = stage.get("$addFields") if isinstance(stage, dict) and len(stage) == 1 else None
        if isinstance(fields, dict) and len(fields) == 1 and next(iter(fields.values())) == "$$NOW":
            field = next(iter(fields))
            rest = pipeline[:position] + pipeline[position + 1:]
            if field not in repr(rest):
                continue
        kept.append(stage)
    return {**command, "pipeline": kept}


def _inclusion_project(stage) -> bool:
    spec = stage.get("$project") if isinstance(stage, dict) and len(stage) == 1 else None
    return isinstance(spec, dict) and bool(spec) and all(
        value not in (0, False) for key, value in spec.items() if key != "_id"
    )


def _key(command: dict) -> str:
    # repr tells apart every BSON type the driver sends (1 from 1.0, a string
    # from an ObjectId's text) and keeps key order, which MongoDB's sort
    # specifications depend on.
    return repr({key: value for key, value in command.items() if key not in UNKEYED})


def _complete(result) -> bool:
    if not isinstance(result, dict) or result.get("ok") not in (1, 1.0, True):
        return False
    cursor = result.get("cursor")
    if cursor is None:
        return True
    batch = cursor.get("firstBatch") if isinstance(cursor, dict) else None
    return isinstance(batch, list) and cursor.get("id") == 0 and len(batch) <= MAX_DOCUMENTS


def _empty(result: dict) -> bool:
    cursor = result.get("cursor")
    return isinstance(cursor, dict) and cursor.get("firstBatch") == []


def _copy(result: dict) -> dict:
    """A copy the wire layer may change (it rewrites the cursor) without touching the stored one."""
    copied = dict(result)
    if isinstance(copied.get("cursor"), dict):
        copied["cursor"] = {**copied["cursor"], "firstBatch": list(copied["cursor"]["firstBatch"])}
    return copied
