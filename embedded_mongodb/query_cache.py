"""Answer a repeated read from memory while nothing it reads has changed.

Why: mongoeco evaluates a query in Python, so even a read by primary key
costs milliseconds of the server's one core, and Django asks the same
questions on every page view (the logged-in user, the catalog's count and its
first page). Real MongoDB answers those from its cache in microseconds; this
gives the embedded server the same property for reads that repeat (what it
saved: ``docs/performance.md``).

Correctness rests on one rule: an answer is reused only while no write that
could change what it read has run since, or is running.

- A read depends on its collection and on every collection its pipeline
  names (``$lookup``/``$graphLookup`` ``from``, ``$unionWith``). A pipeline
  naming a collection other than by its plain name (another database's) is
  not cached.
- On some of those collections an answer depends on a few documents only:
  - on its own collection, when every document of the answer comes from one
    that meets the conditions of the read's filter on its own fields (a
    ``find``'s filter, or a pipeline's first ``$match`` with only joins before
    it): the answer depends on the documents that meet them;
  - on a joined collection that the join read by primary key
    (``speed._load_collection_documents`` tells :func:`record_join` which
    keys: every ``select_related()`` is such a join): it depends on the
    documents with those keys, found or not (beyond ``MAX_JOINED_KEYS``, on
    all). A join that no document reached (a course without prerequisites)
    depends on none.
  The engine reports every document it writes, before and after
  (:mod:`.document_writes`); an answer is forgotten when a written document
  has one of its keys, or met its conditions before or after the write.
  Such a reach is kept per collection, indexed by one equality of the
  conditions (``student_id``...) so that a write checks only the answers
  its documents may meet; past ``MAX_UNPINNED`` answers without such an
  equality on a collection, more of them depend on all of it.
- On any other collection it depends on every document: any document
  written there, any write of unknown reach, forgets it.
- The commands that write documents (insert, update, delete, findAndModify)
  forget through the documents they write. Any other command that is not a
  known read counts as a write of all it names: one aimed at a collection
  (index and collection commands) forgets every answer about that
  collection; any other (transactions' commit and abort, renames,
  ``$out``/``$merge`` pipelines, anything unknown) forgets every answer.
- Every write marks its collections when it starts and when it ends, and
  every document written marks its own: a read that overlaps one of those
  marks on a collection it reads is never stored.
- Reads inside a transaction bypass the cache (they must see the
  transaction's own writes), as do reads whose answer depends on the clock or
  chance (``$$NOW``, ``$rand``, ``$sample``...), with one exception: Django
  adds ``$$NOW`` to its count pipelines and projects it away unused.
- Only complete answers (cursor id 0, at most ``MAX_DOCUMENTS`` documents)
  are kept, ``MAX_CACHED_DOCUMENTS`` documents in all (an empty answer
  counts as one), least recently used first out. An explain is not kept.
- An answer is kept with its documents encoded as the wire sends them
  (:func:`_encoded`): sending it again costs a copy of their bytes.

Used by :class:`.proxy.EmbeddedExecutor`; the tests in
``tests/test_query_cache.py`` fail without it.
"""

import contextvars
import threading
from collections import OrderedDict, defaultdict
from typing import NamedTuple

import bson
from bson.raw_bson import RawBSONDocument
from mongoeco._types._bson_objectid import OBJECT_ID_TYPES
from mongoeco.compat import MONGODB_DIALECT_70
from mongoeco.core.aggregation.runtime import _require_unwind_spec
from mongoeco.core.bson_ordering import bson_equality_key
from mongoeco.core.filtering import QueryEngine
from mongoeco.errors import OperationFailure
from mongoeco.wire.bson_bridge import encode_wire_value

from .document_writes import DocumentWrite

MAX_DOCUMENTS = 1000
# Documents held in all answers together (a few tens of MB at most).
MAX_CACHED_DOCUMENTS = 20_000
# An answer that joined more documents than this depends on the whole joined collection.
MAX_JOINED_KEYS = 1000
# Answers per collection whose conditions no equality singles out (each checked at every write there).
MAX_UNPINNED = 100

READS = frozenset({"find", "aggregate", "count", "distinct"})
# The filter of a read's own documents, by command.
READ_FILTERS = {"find": "filter", "count": "query", "distinct": "query"}
# Commands that change no stored document.
HARMLESS = frozenset({
    "buildInfo", "buildinfo", "collStats", "connectionStatus", "dbStats", "endSessions", "explain",
    "getCmdLineOpts", "getLog", "getMore", "getParameter", "hello", "hostInfo", "isMaster", "ismaster",
    "killCursors", "listCollections", "listCommands", "listDatabases", "listIndexes", "ping", "saslContinue",
    "saslStart", "serverStatus", "startSession", "whatsmyuri",
})
# Commands that change documents only: the engine reports each document they write.
DOCUMENT_WRITES = frozenset({"delete", "findAndModify", "findandmodify", "insert", "update"})
COLLECTION_WRITES = frozenset({"collMod", "create", "createIndexes", "drop", "dropIndexes"})
VOLATILE = frozenset({
    "$$NOW", "$$CLUSTER_TIME", "$$USER_ROLES", "$rand", "$sample", "$sampleRate", "$currentOp",
    "$listSessions", "$listLocalSessions", "$collStats", "$indexStats", "$planCacheStats", "$changeStream",
    "$function", "$accumulator", "$where", "$out", "$merge",
})
# Fields of a command that identify the caller or the moment, not the question.
UNKEYED = frozenset({"lsid", "$clusterTime", "$readPreference", "$db"})
EVERYTHING = None
EVERYWHERE = (None, None)


class _AllDocuments:
    def __repr__(self):
        return "ALL"


# The reach of an answer that any document of a collection can change.
ALL = _AllDocuments()


class _Conditions(NamedTuple):
    """The reach of an answer whose documents all come from ones that meet ``spec``."""

    spec: dict
    # (field, equality keys): the documents reached have one of these values at this top-level field.
    pin: tuple | None


class _Entry(NamedTuple):
    names: tuple  # the collections any document of which can change the answer
    versions: tuple  # theirs when it was read (the server-wide one first)
    reaches: tuple  # (collection, reach) of those where only some documents can
    answer: dict
    documents: int


class _Watch:
    """The answers that depend on some documents of one collection, by what reaches them."""

    def __init__(self):
        self.by_key = defaultdict(set)  # storage key -> answers
        self.by_pin = defaultdict(lambda: defaultdict(set))  # field -> equality key -> answers
        self.unpinned = set()

    def add(self, answer, reach):
        if isinstance(reach, frozenset):
            for key in reach:
                self.by_key[key].add(answer)
        elif reach.pin is None:
            self.unpinned.add(answer)
        else:
            field, keys = reach.pin
            for key in keys:
                self.by_pin[field][key].add(answer)

    def discard(self, answer, reach):
        # Empty sets go too: over a day, every student's id would stay behind.
        if isinstance(reach, frozenset):
            for key in reach:
                _discard(self.by_key, key, answer)
        elif reach.pin is None:
            self.unpinned.discard(answer)
        else:
            field, keys = reach.pin
            for key in keys:
                _discard(self.by_pin[field], key, answer)
            if not self.by_pin[field]:
                del self.by_pin[field]

    def __bool__(self):
        return bool(self.by_key or self.by_pin or self.unpinned)

    def answers(self) -> set:
        found = set(self.unpinned)
        for answers in self.by_key.values():
            found |= answers
        for by_value in self.by_pin.values():
            for answers in by_value.values():
                found |= answers
        return found

    def reached_by(self, write: DocumentWrite, dialect, answers: dict) -> set:
        found = set(self.by_key.get(write.storage_key, ()))
        if not self.by_pin and not self.unpinned:
            return found
        images = [write.decode(payload) for payload in (write.before, write.after) if payload is not None]
        candidates = set(self.unpinned)
        for field, by_value in self.by_pin.items():
            for image in images:
                if field not in image:
                    continue
                value = image[field]
                if isinstance(value, list):
                    # An array meets an equality through any element: every pinned answer may be reached.
                    for keyed in by_value.values():
                        candidates |= keyed
                else:
                    candidates |= by_value.get(_equality_key(value), set())
        for answer in candidates - found:
            reach = dict(answers[answer].reaches).get(write.coll_name)
            if reach is not None and any(_meets(image, reach.spec, dialect) for image in images):
                found.add(answer)
        return found


def _discard(answers_by_key, key, answer):
    answers = answers_by_key.get(key)
    if answers is not None:
        answers.discard(answer)
        if not answers:
            del answers_by_key[key]


_joins = contextvars.ContextVar("joined_documents_read", default=None)


def record_join(collection: str, storage_keys) -> None:
    """What the read under way joined from ``collection``: the primary keys
    it looked up (found or not), or ``ALL``. No read under way: nothing."""
    reads = _joins.get()
    if reads is None:
        return
    known = reads.get(collection, frozenset())
    keys = ALL if storage_keys is ALL or known is ALL else known | frozenset(storage_keys)
    reads[collection] = ALL if keys is not ALL and len(keys) > MAX_JOINED_KEYS else keys


class QueryCache:
    def __init__(self, dialect=MONGODB_DIALECT_70):
        # key -> _Entry, least recently used first
        self.entries: OrderedDict = OrderedDict()
        self.documents = 0
        # (db, collection), or EVERYWHERE -> changes that reach every answer about it
        self.versions: dict = {}
        # (db, collection), or EVERYWHERE -> writes started or ended, documents written
        self.marks: dict = {}
        # (db, collection) -> _Watch
        self.watches: dict = defaultdict(_Watch)
        self.dialect = dialect
        # Bulk inserts report their documents from mongoeco's worker threads.
        self._lock = threading.Lock()

    def wrap(self, execute):
        """``execute_prepared`` of mongoeco's wire executor, answering repeated reads from memory."""

        async def execute_prepared(context):
            plan = _plan(context)
            if plan is None:
                return await execute(context)
            kind, names = plan
            if kind != "read":
                self._written(context.db_name, names, whole=kind == "write")
                try:
                    return await execute(context)
                finally:
                    self._written(context.db_name, names, whole=kind == "write")
            key = (context.db_name, _key(context.command_document))
            with self._lock:
                entry = self.entries.get(key)
                if entry is not None and self._versions_of(context.db_name, entry.names) == entry.versions:
                    self.entries.move_to_end(key)
                    return _copy(entry.answer)
                before = self._versions_of(context.db_name, names), self._marks_of(context.db_name, names)
            joins = _joins.set({})
            try:
                result = await execute(context)
                joined = _joins.get()
            finally:
                _joins.reset(joins)
            if not _complete(result) or (answer := _encoded(result)) is None:
                return result
            with self._lock:
                if (self._versions_of(context.db_name, names), self._marks_of(context.db_name, names)) == before:
                    self._store(key, context, names, joined, answer)
            return _copy(answer)

        return execute_prepared

    def document_written(self, write: DocumentWrite) -> None:
        """Forget the answers a written document can reach (the engine's report, :mod:`.document_writes`)."""
        with self._lock:
            if write.db_name is None:
                self._bump(None, EVERYTHING)
                return
            self._bump(write.db_name, (write.coll_name,), forget=False)
            name = (write.db_name, write.coll_name)
            if write.storage_key is None:
                self._forget_reaches(name)
            elif (watch := self.watches.get(name)) is not None:
                for key in watch.reached_by(write, self.dialect, self.entries):
                    self._drop(key)

    def _written(self, db_name, names, *, whole):
        """A write command starts or ends: ``whole``, one that may change any
        document of ``names`` (or of every collection) without reporting them."""
        with self._lock:
            if whole:
                self._bump(db_name, names)
            else:
                self._mark(db_name, names)

    def _store(self, key, context, names, joined, answer):
        if key in self.entries:
            self._drop(key)
        reaches = _reaches(context, names, joined)
        for name, reach in reaches.items():
            watch = self.watches.get((context.db_name, name))
            if isinstance(reach, _Conditions) and reach.pin is None and watch and len(watch.unpinned) >= MAX_UNPINNED:
                # Each is checked against every document written to the collection.
                reaches[name] = ALL
        whole = tuple(name for name in names if reaches.get(name, ALL) is ALL)
        kept = tuple((name, reach) for name, reach in reaches.items() if reach is not ALL)
        # An empty answer counts as one: answers to misses (unknown sessions, ids) must make room too.
        size = max(len(answer["cursor"]["firstBatch"]), 1) if "cursor" in answer else 1
        # The versions are those the read started with: the caller found them unchanged, under the lock.
        versions = self._versions_of(context.db_name, whole)
        self.entries[key] = _Entry(whole, versions, kept, answer, size)
        for name, reach in kept:
            self.watches[(context.db_name, name)].add(key, reach)
        self.documents += size
        while self.documents > MAX_CACHED_DOCUMENTS:
            self._drop(next(iter(self.entries)))

    def _drop(self, key):
        entry = self.entries.pop(key)
        self.documents -= entry.documents
        for name, reach in entry.reaches:
            watch = self.watches.get((key[0], name))
            if watch is not None:
                watch.discard(key, reach)
                if not watch:
                    del self.watches[(key[0], name)]

    def _forget_reaches(self, name):
        watch = self.watches.get(name)
        if watch is not None:
            for key in watch.answers():
                self._drop(key)

    def _bump(self, db_name, names, *, forget=True):
        # EVERYTHING: a command of unknown reach, in any database.
        for key in [EVERYWHERE] if names is EVERYTHING else [(db_name, name) for name in names]:
            self.versions[key] = self.versions.get(key, 0) + 1
            self.marks[key] = self.marks.get(key, 0) + 1
            if forget and key != EVERYWHERE:
                self._forget_reaches(key)

    def _mark(self, db_name, names):
        for name in names:
            self.marks[(db_name, name)] = self.marks.get((db_name, name), 0) + 1

    def _versions_of(self, db_name, names):
        return (self.versions.get(EVERYWHERE, 0), *(self.versions.get((db_name, name), 0) for name in names))

    def _marks_of(self, db_name, names):
        return (self.marks.get(EVERYWHERE, 0), *(self.marks.get((db_name, name), 0) for name in names))


def _reaches(context, names, joined) -> dict:
    """collection -> the documents of it that can change the answer: ALL, a
    frozenset of primary keys, or the _Conditions they meet."""
    own, *others = names
    reaches = {name: joined.get(name, ALL) for name in others}
    # A pipeline that also reads its own collection as a joined one depends on all of it.
    reaches[own] = ALL if own in joined or own in others else _own_conditions(context)
    return reaches


def _plan(context):
    """("read", collections) for a cacheable read, ("documents", collections) for
    a command that writes documents only, ("write", collections or EVERYTHING)
    for any other that may change data, None for one that neither reads
    cacheably nor writes."""
    name, command = context.command_name, context.command_document
    target = command.get(name)
    if name in READS:
        pipeline = command.get("pipeline", [])
        if _writes_out(pipeline):
            return "write", EVERYTHING
        joined = _joined(pipeline)
        # An explain's figures count documents its filter does not meet.
        if "txnNumber" in context.raw_body or not isinstance(target, str) or joined is None \
                or "explain" in command or _volatile(_without_unused_now(command)):
            return None
        return "read", (target, *sorted(joined))
    if name in HARMLESS:
        return None
    if name in DOCUMENT_WRITES and isinstance(target, str):
        return "documents", (target,)
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


# Stages that pass on, drop or change only the documents that reach them
# (a $lookup or $graphLookup reads for those documents only), adding none of
# their own: $unionWith and $documents bring in documents of their own.
_NO_DOCUMENTS_OF_THEIR_OWN = frozenset({
    "$lookup", "$unwind", "$match", "$addFields", "$set", "$project", "$unset", "$sort", "$limit", "$skip",
    "$count", "$group",
})


def _own_conditions(context):
    """The _Conditions that every document of a read's answer comes from a
    document of its own collection meeting, or ALL."""
    command = context.command_document
    if "collation" in command:
        return ALL
    if context.command_name == "aggregate":
        conjuncts = _own_match(command.get("pipeline"))
    else:
        conjuncts = _conjuncts(command.get(READ_FILTERS.get(context.command_name)), written=())
    return _Conditions({"$and": conjuncts}, _pin(conjuncts)) if conjuncts else ALL


def _own_match(pipeline) -> list[dict]:
    """The conditions of a pipeline's first ``$match`` on its own collection's
    fields, when only joins come before it (Django puts its select_related
    ``$lookup`` stages first) and no stage brings in documents of its own.
    Fields a ``$lookup`` or an ``$unwind`` writes are left out."""
    if not isinstance(pipeline, list) or not all(
        isinstance(stage, dict) and len(stage) == 1 and next(iter(stage)) in _NO_DOCUMENTS_OF_THEIR_OWN
        for stage in pipeline
    ):
        return []
    written = set()
    for stage in pipeline:
        (name, spec), = stage.items()
        if name == "$match":
            return _conjuncts(spec, written)
        paths = modified_paths(stage)
        if paths is None:
            return []
        written.update(path.split(".")[0] for path in paths)
    return []


def _conjuncts(spec, written) -> list[dict]:
    """Conditions every document a filter matches meets, one field each: the
    filter's own fields' and those of its top-level ``$and``, but for fields in ``written``."""
    if not isinstance(spec, dict):
        return []
    found = []
    for field, condition in spec.items():
        if field == "$and" and isinstance(condition, list):
            for clause in condition:
                found += _conjuncts(clause, written)
        elif isinstance(field, str) and not field.startswith("$") and field.split(".")[0] not in written:
            found.append({field: condition})
    return found


def _pin(conjuncts) -> tuple | None:
    """(field, equality keys) of a condition that only documents with one of a
    few values at a top-level field meet: ObjectIds rather than strings, and
    strings rather than numbers or booleans, which single out fewer documents."""
    found = []
    for conjunct in conjuncts:
        ((field, condition),) = conjunct.items()
        if "." in field:
            continue
        if isinstance(condition, dict):
            if len(condition) != 1:
                continue
            ((operator, operand),) = condition.items()
            values = [operand] if operator == "$eq" else operand if operator == "$in" else None
        else:
            values = [condition]
        if isinstance(values, list) and values and all(_pin_rank(value) is not None for value in values):
            found.append((max(_pin_rank(value) for value in values), field, values))
    if not found:
        return None
    _, field, values = min(found, key=lambda pin: pin[0])
    return field, frozenset(_equality_key(value) for value in values)


def _pin_rank(value) -> int | None:
    if type(value) in OBJECT_ID_TYPES or type(value) is bson.ObjectId:
        return 0
    if type(value) is str:
        return 1
    # Not None: a null condition also meets documents without the field.
    if type(value) in (int, float, bool, bson.Int64):
        return 2
    return None


def _equality_key(value):
    return bson_equality_key(value)


def _meets(document, spec, dialect) -> bool:
    try:
        return QueryEngine.match(document, spec, dialect=dialect)
    except Exception:  # A condition it cannot evaluate may be met: forget the answer.
        return True


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


def _encoded(result: dict) -> dict | None:
    """The answer with each document of its batch encoded once, as the wire layer encodes it (None if bson
    cannot: the wire layer then reports why).

    mongoeco converts a reply to bson's types value by value in Python before
    encoding it: most of what a cached answer of many documents costs to send
    again. An encoded document goes into the reply as it is.
    """
    cursor = result.get("cursor")
    if cursor is None:
        return result
    try:
        batch = [_embedded(document) for document in cursor["firstBatch"]]
    except (bson.errors.BSONError, OverflowError):
        return None
    return {**result, "cursor": {**cursor, "firstBatch": batch}}


def _embedded(document) -> RawBSONDocument:
    # Encoded inside a wrapper so that it stays an embedded document: at the top level, bson moves "_id" first.
    wrapped = bson.encode({"": encode_wire_value(document)})
    # int32 length, type byte, empty name: the document, then the wrapper's terminating byte.
    return RawBSONDocument(wrapped[6:-1])


def _copy(result: dict) -> dict:
    """A copy the wire layer may change (it rewrites the cursor) without touching the stored one."""
    copied = dict(result)
    if isinstance(copied.get("cursor"), dict):
        copied["cursor"] = {**copied["cursor"], "firstBatch": list(copied["cursor"]["firstBatch"])}
    return copied
