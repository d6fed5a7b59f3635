"""Cheaper writes (and reads' connections) for mongoeco's SQLite engine, same results.

mongoeco spent most of a small write on work no client can observe; what
each part saved is in ``docs/performance.md``.

1. **One shared SQLite index for all scalar (and all multikey) entries.**
   Every single-field Mongo index got its own SQLite index on
   scalar_index_entries (collection_id, index_name, type_score, element_key,
   storage_key): the same columns every time, each covering every row of the
   table, so each entry insert updated one identical B-tree per index.
   Every lookup already pins ``collection_id`` and ``index_name``, so one
   shared B-tree gives the same plans and results. New indexes all name
   ``scidx_shared`` (``mkidx_shared`` for multikey entries); the name is
   stored per index as before, so reads (``INDEXED BY <name>``) are
   unchanged. The shared indexes are created when the server opens the file
   and never dropped: dropping a Mongo index (or a collection or a database)
   deletes its entries and leaves the shared B-tree to the others. Files
   written before keep their per-index SQLite indexes, which still work.

2. **No change-stream bookkeeping.** The embedded server presents itself as
   a standalone ``mongod``, which has no change streams (and mongoeco's wire
   layer refused ``$changeStream`` anyway); yet every write appended to a
   transactional outbox, then "dispatched" it with four or five extra
   commits, each of which also made the main connection rebuild its index
   catalog cache. The engine declares ``change_delivery="none"`` (mongoeco's
   mode for engines without an outbox) and records nothing; a ``watch()`` /
   ``$changeStream`` fails as on a real standalone: code 40573.

3. **Index catalogs with ObjectIds are shared, not copied.** mongoeco keeps
   each collection's index list as a frozen, shared catalog unless a value in
   it is not on its short list of immutable types; then every
   ``_load_indexes`` call deep-copies the list. django-mongodb-backend's
   unique constraints carry a ``partialFilterExpression`` with ObjectId
   bounds, so every such collection took the copying path. An ObjectId is
   immutable (its 12 bytes are set once), so it is frozen as it is.

4. **A multi-document update pinned to one ``_id`` runs as a single-document
   update.** Django's conditional ``QuerySet.update()`` goes as ``multi:
   true``; mongoeco runs a multi update as a find, then one update per match
   that re-checks the filter. A filter that requires ``_id`` to equal one
   value (directly or in a clause of a top-level ``$and``) matches at most
   one document, so the single-document update gives the same result
   (matched, modified, upserted) in one step.

5. **Reader connections are reused.** A read that may return more than one
   document got a dedicated SQLite connection (``connect``, two pragmas, a
   parse of the whole schema, a close): about half of a small read's cost.
   Those connections come from a pool of up to eight per engine and go back
   with their transaction rolled back, so each read still takes a fresh
   snapshot at its ``BEGIN``, and an open cursor keeps its connection (and
   snapshot) until it is closed.

6. **Each expression index covers its own collection.** mongoeco keeps all
   documents in one table with one expression index per ordered Mongo index
   over the whole table, so every document written, in any collection, got
   an entry in all of them. An index is now created partial, ``WHERE db_name
   = '<db>' AND coll_name = '<collection>'``. SQLite uses a partial index
   only for a statement whose WHERE names the same literals, so a read of
   documents that binds the namespace as its first two parameters (every
   ``SELECT`` mongoeco builds, and this package's own lookups) has them
   written into the statement instead. A renamed collection gets its
   expression indexes re-created for its new name. Files written before keep
   their whole-table indexes, which still work.

7. **A unique index is built with a set of keys.** mongoeco checked a new
   unique index by comparing each document with every one before it, and
   replaced each document's entries with a ``DELETE`` that SQLite ran on the
   shared index, whose storage key comes last: both quadratic (building the
   benchmark's 137,000-enrollment indexes did not finish in an hour). Keys
   are now looked up in a set, with mongoeco's duplicate-key error, and the
   ``DELETE`` uses mongoeco's (collection, storage key) index.

8. **The index entries are rebuilt on open only when needed.** mongoeco
   deleted and rebuilt every scalar index entry from every document each
   time it opened a file (most of a start: 10 s for the benchmark's large
   school). Every write keeps a document's entries in the same SQLite
   transaction as the document, and an index is built or dropped with its
   entries, so a file whose entries were rebuilt once by this engine stays
   complete, across crashes too (the write-ahead log replays whole
   transactions). The open after a rebuild records who keeps them (mongoeco's
   version and this package's scheme, ``_ENTRIES_KEPT_BY``) in a table of its
   own; the next open skips the rebuild when that record matches. A file
   last opened by another version, or never by this package, is rebuilt.

Not changed, on purpose: ``PRAGMA synchronous``. mongoeco opens every
connection with ``journal_mode=WAL`` and ``synchronous=NORMAL``: each commit
reaches the WAL file before it returns, so an acknowledged write survives the
server being killed (SIGKILL); only an OS crash or power loss can lose the
last commits, which FULL would prevent at an fsync per write. That is the
right trade for a development server.

:class:`CheaperWrites` is inherited by :class:`.engine.EmbeddedEngine`,
:func:`refuse_change_streams` is called by the proxy, ``REPLACEMENTS`` are
applied by :func:`.patches.install`; the tests are in ``tests/test_writes.py``.
"""

import contextlib
import dataclasses
import functools
import re
import sqlite3
import threading

import bson
import mongoeco
from mongoeco._types._bson_objectid import OBJECT_ID_TYPES
from mongoeco.api._async import _collection_modify
from mongoeco.core.duplicate_keys import index_build_duplicate_error
from mongoeco.engines import _sqlite_index_catalog, _sqlite_index_runtime
from mongoeco.engines import sqlite as sqlite_engine
from mongoeco.engines._sqlite_connection import SQLiteConnection
from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.engines.virtual_indexes import document_in_virtual_index, normalize_partial_filter_expression
from mongoeco.errors import OperationFailure
from mongoeco.types import EngineIndexRecord, default_index_name, index_fields, normalize_index_keys

from .compat import without_distinct_indexes
from .document_writes import watched_write, write_shape

# --- 1. One shared SQLite index per entry table -------------------------------

SHARED_SCALAR_INDEX = "scidx_shared"
SHARED_MULTIKEY_INDEX = "mkidx_shared"
_ENTRY_COLUMNS = "(collection_id, index_name, type_score, element_key, storage_key)"
_SHARED_INDEXES = {
    SHARED_SCALAR_INDEX: f"scalar_index_entries {_ENTRY_COLUMNS}",
    SHARED_MULTIKEY_INDEX: f"multikey_entries {_ENTRY_COLUMNS}",
}
_CREATE_SHARED = tuple(
    f'CREATE INDEX IF NOT EXISTS "{name}" ON {target}' for name, target in _SHARED_INDEXES.items()
)
_SHARED_QUOTED = tuple(f'"{name}"' for name in _SHARED_INDEXES)
_NOTHING = "SELECT 1 WHERE 0"
# mongoeco deletes one document's entries for one index (at each document of
# an index build) by (collection, storage key, index name); SQLite picks the
# shared index, whose storage key comes last, and reads every entry of the
# index: an index build was quadratic. mongoeco's own (collection, storage
# key) index finds the document's few entries.
_ENTRY_DELETE_START = "\n        DELETE FROM scalar_index_entries"
_ENTRIES_OF_ONE_DOCUMENT_AND_INDEX = re.compile(
    r"\s*DELETE FROM scalar_index_entries\s+WHERE collection_id = \? AND storage_key = \? AND index_name = \?\s*$"
)
_BY_STORAGE_KEY = (
    "DELETE FROM scalar_index_entries INDEXED BY idx_scalar_index_entries_storage "
    "WHERE collection_id = ? AND storage_key = ? AND index_name = ?"
)


class SharedIndexConnection(SQLiteConnection):
    """mongoeco's connection, where the shared entry indexes are created at
    most once and never dropped. mongoeco issues ``CREATE INDEX <name>`` when
    a Mongo index is created and ``DROP INDEX IF EXISTS <name>`` when one is
    dropped (index, collection or database); for a shared name the first
    becomes ``IF NOT EXISTS`` and the second does nothing."""

    # The ReaderPool this connection goes back to when closed (see part 5).
    pool = None
    # Told of every document this connection writes (document_writes.WatchedWrites).
    document_watchers = ()
    decode_document = None

    def execute(self, sql, parameters=(), /):
        if self.document_watchers and (shape := write_shape(sql)) is not None:
            return watched_write(self, shape, sql, parameters, self._execute)
        return self._execute(sql, parameters)

    def execute_unwatched(self, sql, parameters=(), /):
        return super().execute(sql, parameters)

    def _execute(self, sql, parameters):
        if sql.startswith(("CREATE INDEX", "DROP INDEX")):
            if any(name in sql for name in _SHARED_QUOTED):
                if sql.startswith("DROP INDEX"):
                    sql, parameters = _NOTHING, ()
                elif not sql.startswith("CREATE INDEX IF NOT EXISTS"):
                    sql = "CREATE INDEX IF NOT EXISTS" + sql[len("CREATE INDEX"):]
            elif (namespace := getattr(_creating_index_in, "namespace", None)) and _DOCUMENTS_INDEX.match(sql):
                sql += f" WHERE {_namespace_sql(*namespace)}"
        elif sql.startswith(_ENTRY_DELETE_START) and _ENTRIES_OF_ONE_DOCUMENT_AND_INDEX.match(sql):
            sql = _ENTRIES_OF_ONE_DOCUMENT_AND_INDEX.sub(_BY_STORAGE_KEY, sql, count=1)
        elif len(parameters) >= 2 and type(parameters) in (list, tuple) and (slot := _namespace_slot(sql)) >= 0:
            db_name, coll_name = parameters[:2]
            if type(db_name) is str and type(coll_name) is str:
                sql = sql[:slot] + _namespace_sql(db_name, coll_name) + sql[slot + len(_BOUND_NAMESPACE):]
                parameters = parameters[2:]
        return super().execute(sql, parameters)

    def close(self):
        if self.pool is None or not self.pool.take_back(self):
            super().close()


# --- 6. Expression indexes cover their own collection (used by SharedIndexConnection)

_DOCUMENTS_INDEX = re.compile(r'CREATE INDEX "[^"]+" ON documents \(')
_BOUND_NAMESPACE = "db_name = ? AND coll_name = ?"
_READ_OF_DOCUMENTS = re.compile(r'\bFROM documents(?:\s+INDEXED BY "[^"]+")?\s+WHERE db_name = \? AND coll_name = \?')
_creating_index_in = threading.local()
_original_create_index = sqlite_engine._sqlite_create_index


def _namespace_sql(db_name: str, coll_name: str) -> str:
    return f"db_name = '{db_name.replace("'", "''")}' AND coll_name = '{coll_name.replace("'", "''")}'"


@functools.lru_cache(maxsize=4096)
def _namespace_slot(sql: str) -> int:
    """Where a read of documents binds its namespace as its first two
    parameters (``WHERE db_name = ? AND coll_name = ?``), or -1."""
    match = _READ_OF_DOCUMENTS.search(sql)
    if match is None:
        return -1
    slot = match.end() - len(_BOUND_NAMESPACE)
    return -1 if "?" in sql[:slot] else slot


def create_index(conn, *, db_name, coll_name, keys, name, collation, partial_filter_expression, load_indexes, **kwargs):
    """mongoeco's index creation (``sqlite_engine._sqlite_create_index``,
    replaced once for three reasons): the expression index it creates on
    documents is made partial to the index's collection (part 6), the
    indexes it checks for conflicts leave out those MongoDB tells apart by
    their filter or collation (:func:`.compat.without_distinct_indexes`), and
    a unique index is checked with a set of keys (part 7)."""
    if kwargs["unique"] and collation is None and not _index_exists(load_indexes, db_name, coll_name, keys, name):
        kwargs["load_documents"] = _unique_keys_checked(
            db_name, coll_name, keys, name, partial_filter_expression, kwargs,
        )
    _creating_index_in.namespace = (db_name, coll_name)
    try:
        return _original_create_index(
            conn,
            db_name=db_name,
            coll_name=coll_name,
            keys=keys,
            name=name,
            collation=collation,
            partial_filter_expression=partial_filter_expression,
            load_indexes=without_distinct_indexes(
                load_indexes, keys=keys, name=name, collation=collation,
                partial_filter_expression=partial_filter_expression,
            ),
            **kwargs,
        )
    finally:
        _creating_index_in.namespace = None


# --- 7. A unique index is built with a set of keys ---------------------------------


def _index_exists(load_indexes, db_name, coll_name, keys, name) -> bool:
    """Whether an index of that name exists: mongoeco then returns (or refuses) before reading any document."""
    index_name = name or default_index_name(normalize_index_keys(keys))
    return any(index["name"] == index_name for index in load_indexes(db_name, coll_name))


def _unique_keys_checked(db_name, coll_name, keys, name, partial_filter_expression, kwargs):
    """Check that no two documents share a key of the new unique index, then
    hand mongoeco a ``load_documents`` whose first call (mongoeco's own
    check, which compares every document with every one before it: hours
    for a collection of 100,000) yields nothing; its later calls (the index
    entries) read the documents as before.

    Two documents conflict when their sets of keys intersect (mongoeco's
    ``_unique_index_conflict`` without a collation): each key is looked up in
    a dict of the keys seen so far, so the check reads each document once.
    The error is mongoeco's own duplicate-key error for the first conflict.
    """
    load_documents = kwargs["load_documents"]
    engine = kwargs["unique_index_conflict"].__self__
    normalized = normalize_index_keys(keys)
    index = EngineIndexRecord(
        name=name or default_index_name(normalized), fields=index_fields(normalized), key=normalized, unique=True,
        sparse=kwargs["sparse"],
        partial_filter_expression=normalize_partial_filter_expression(partial_filter_expression),
    )
    seen = set()
    for _storage_key, document in load_documents(db_name, coll_name):
        kwargs["enforce_deadline_fn"](kwargs["deadline"])
        if not document_in_virtual_index(document, index):
            continue
        kwargs["validate_compound_multikey_document"](document, index)
        document_keys = engine._unique_index_keys(document, index["fields"])
        if conflicts := document_keys & seen:
            raise index_build_duplicate_error(
                namespace=f"{db_name}.{coll_name}", index=index, document=document, conflict=next(iter(conflicts)),
            )
        seen |= document_keys
    checked = False

    def documents_after_the_check(db, coll):
        nonlocal checked
        if not checked:
            checked = True
            return ()
        return load_documents(db, coll)

    return documents_after_the_check


def _recreate_partial_indexes(conn, db_name, coll_name, new_name) -> None:
    """After mongoeco's rename has moved the documents and the index records
    to the new name, re-create the expression indexes, partial to the old
    name, for the new one (in one savepoint): otherwise reads of the renamed
    collection could not use them, and a hinted one would fail."""
    old_where = f" WHERE {_namespace_sql(db_name, coll_name)}"
    recreate = []
    for (physical_name,) in conn.execute(
        "SELECT physical_name FROM indexes WHERE db_name = ? AND coll_name = ? AND physical_name IS NOT NULL",
        (db_name, new_name),
    ).fetchall():
        row = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (physical_name,)
        ).fetchone()
        if row and row[0].endswith(old_where):
            recreate.append((physical_name, row[0][: -len(old_where)] + f" WHERE {_namespace_sql(db_name, new_name)}"))
    if not recreate:
        return
    conn.execute("SAVEPOINT registrar_partial_indexes")
    try:
        for physical_name, create in recreate:
            conn.execute(f'DROP INDEX "{physical_name}"')
            conn.execute(create)
    except BaseException:
        conn.execute("ROLLBACK TO SAVEPOINT registrar_partial_indexes")
        conn.execute("RELEASE SAVEPOINT registrar_partial_indexes")
        raise
    conn.execute("RELEASE SAVEPOINT registrar_partial_indexes")


# --- 1. (continued) The shared indexes outside the connection -------------------

_original_ensure_scalar = _sqlite_index_runtime.ensure_scalar_physical_indexes_sync
_original_ensure_multikey = _sqlite_index_runtime.ensure_multikey_physical_indexes_sync


def _without_shared(indexes, key):
    return [index for index in indexes if index.get(key) not in _SHARED_INDEXES]


def _ensure_scalar_physical_indexes_sync(engine, conn, indexes):
    """mongoeco runs ``CREATE INDEX IF NOT EXISTS`` for every index of the
    collection on every write with scalar entries; the shared index exists
    since the file was opened."""
    indexes = _without_shared(indexes, "scalar_physical_name")
    if indexes:
        _original_ensure_scalar(engine, conn, indexes)


def _ensure_multikey_physical_indexes_sync(engine, conn, indexes):
    indexes = _without_shared(indexes, "multikey_physical_name")
    if indexes:
        _original_ensure_multikey(engine, conn, indexes)


# --- 8. The index entries are rebuilt on open only when needed ----------------------

_STATE_TABLE = "embedded_mongodb_state"
# Who keeps the entries up to date: mongoeco's version and this package's way
# of storing them (bump it when a change here writes entries differently).
_ENTRIES_KEPT_BY = f"mongoeco {mongoeco.__version__}, shared scalar index 1"


# --- 2. No change-stream outbox -------------------------------------------------

_STANDALONE_CAPABILITIES = dataclasses.replace(SQLiteEngine.capabilities, change_delivery="none")


def _append_no_change(conn, **_kwargs):
    """mongoeco's outbox append, for an engine that delivers no changes:
    nothing is recorded and there is no commit sequence."""
    return None


CHANGE_STREAM_ERROR_CODE = 40573
CHANGE_STREAM_ERROR = "The $changeStream stage is only supported on replica sets"


def refuse_change_streams(body: dict) -> None:
    """A standalone mongod refuses a change stream (collection, database or
    cluster: ``aggregate`` on a name or on 1) with code 40573."""
    pipeline = body.get("pipeline")
    if "aggregate" in body and isinstance(pipeline, list) and any(
        isinstance(stage, dict) and "$changeStream" in stage for stage in pipeline
    ):
        raise OperationFailure(CHANGE_STREAM_ERROR, code=CHANGE_STREAM_ERROR_CODE)


# --- 3. Shared index catalogs with ObjectIds --------------------------------------

_original_freeze = _sqlite_index_catalog._freeze
_OBJECT_ID_CLASSES = frozenset(OBJECT_ID_TYPES)


def _freeze(value):
    """mongoeco's catalog freezing, with ObjectIds kept as the immutable
    leaves they are (mongoeco refused them, and so copied the catalog on
    every use)."""
    if type(value) in _OBJECT_ID_CLASSES:
        return value
    return _original_freeze(value)


# --- 4. Multi updates of one _id --------------------------------------------------

_original_execute_server_update = _collection_modify.execute_server_update


def _one_value(value) -> bool:
    """True when ``{"_id": value}`` matches documents whose ``_id`` equals
    one value: not a regex, an array, or an operator document (but ``$eq``
    of one value)."""
    if isinstance(value, (re.Pattern, bson.Regex, list, tuple)):
        return False
    if isinstance(value, dict):
        keys = [key for key in value if isinstance(key, str) and key.startswith("$")]
        if not keys:
            return True  # an embedded document, compared whole
        return keys == ["$eq"] and len(value) == 1 and _one_value(value["$eq"])
    return True


def pins_one_document(query) -> bool:
    """True when ``query`` can match at most one document: it requires
    ``_id`` to equal one value, at its top level or in a clause of a
    top-level ``$and``."""
    if not isinstance(query, dict):
        return False
    if "_id" in query and _one_value(query["_id"]):
        return True
    clauses = query.get("$and")
    return isinstance(clauses, list) and any(pins_one_document(clause) for clause in clauses)


async def execute_server_update(collection, query, change, *, multi=False, replacement=False, **options):
    if multi and not replacement and pins_one_document(query):
        options.pop("sort", None)
        multi = False
    return await _original_execute_server_update(
        collection, query, change, multi=multi, replacement=replacement, **options
    )


# --- 5. Reader connections are reused ----------------------------------------------

READER_POOL_SIZE = 8


class ReaderPool:
    """Idle dedicated-reader connections of one engine. A connection comes
    back with its read transaction rolled back, so its next ``BEGIN`` takes
    a fresh snapshot; its index catalogs stay, as mongoeco checks them
    against ``PRAGMA data_version`` before each use."""

    def __init__(self, size: int = READER_POOL_SIZE):
        self.size = size
        self.idle: list[SharedIndexConnection] = []
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            return self.idle.pop() if self.idle else None

    def take_back(self, connection) -> bool:
        """Keep connection for a later reader; False when it must really close."""
        try:
            connection.rollback()
        except sqlite3.Error:
            return False
        with self.lock:
            if len(self.idle) >= self.size:
                return False
            self.idle.append(connection)
            return True


# --- The engine's side of parts 1, 2, 5 and 6 ------------------------------------------


class CheaperWrites:
    capabilities = _STANDALONE_CAPABILITIES

    def __init__(self, *args, **kwargs):
        self._reader_pool = ReaderPool()
        # Set between the scan reader's "may I have a connection of my own?"
        # and its call for one, on the reader's thread.
        self._opening_reader = threading.local()
        super().__init__(*args, **kwargs)

    def _physical_scalar_index_name(self, db_name, coll_name, index_name):
        return SHARED_SCALAR_INDEX

    def _physical_multikey_index_name(self, db_name, coll_name, index_name):
        return SHARED_MULTIKEY_INDEX

    def _can_use_dedicated_reader(self, context):
        """mongoeco's scan reader asks this right before it opens a connection
        of its own for a read that may return more than one document (a new
        SQLite connection, its pragmas and a parse of the whole schema, about
        half of a small aggregate's cost): mark the open, so that
        :meth:`_create_sqlite_connection` hands it a pooled one."""
        dedicated = super()._can_use_dedicated_reader(context)
        self._opening_reader.active = dedicated
        return dedicated

    def _create_sqlite_connection(self):
        """mongoeco's own ``_create_sqlite_connection`` (same path, pragmas and
        connection class behaviour), with :class:`SharedIndexConnection` as the
        factory. Every connection mongoeco opens comes from here; a scan
        reader's comes from the engine's :class:`ReaderPool` (part 5)."""
        if getattr(self._opening_reader, "active", False):
            self._opening_reader.active = False
            if connection := self._reader_pool.take():
                return connection
            connection = self._connect()
            connection.pool = self._reader_pool
            return connection
        return self._connect()

    def _connect(self):
        # Reads name their collection as a literal (part 6): more distinct statements to cache.
        connection = sqlite3.connect(
            self._path, check_same_thread=False, factory=SharedIndexConnection, cached_statements=1024
        )
        try:
            if self._path != ":memory:":
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.close()
            raise
        return connection

    def _backfill_scalar_indexes_sync(self, conn):
        """On open, after mongoeco created its tables and before it rebuilds the
        scalar entries: create the shared indexes (committed with the rest of the
        open), so every later write and read can count on them. The rebuild
        itself runs only when the file's entries were not kept by this very
        engine (part 8)."""
        for statement in _CREATE_SHARED:
            conn.execute(statement)
        conn.execute(f"CREATE TABLE IF NOT EXISTS {_STATE_TABLE} (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        kept_by = conn.execute(f"SELECT value FROM {_STATE_TABLE} WHERE name = 'scalar_entries'").fetchone()
        if kept_by is not None and kept_by[0] == _ENTRIES_KEPT_BY:
            return None
        super()._backfill_scalar_indexes_sync(conn)
        conn.execute(
            f"INSERT OR REPLACE INTO {_STATE_TABLE} (name, value) VALUES ('scalar_entries', ?)", (_ENTRIES_KEPT_BY,)
        )
        return None

    def _ensure_scalar_physical_indexes_sync(self, conn, indexes):
        _ensure_scalar_physical_indexes_sync(self, conn, indexes)

    def _ensure_multikey_physical_indexes_sync(self, conn, indexes):
        _ensure_multikey_physical_indexes_sync(self, conn, indexes)

    def _rename_collection_sync(self, db_name, coll_name, new_name, context=None):
        super()._rename_collection_sync(db_name, coll_name, new_name, context)
        with self._lock:
            _recreate_partial_indexes(self._require_connection(context), db_name, coll_name, new_name)


REPLACEMENTS = (
    # Part 1: mongoeco's index runtime also calls these among themselves.
    (_sqlite_index_runtime, "ensure_scalar_physical_indexes_sync", _ensure_scalar_physical_indexes_sync),
    (_sqlite_index_runtime, "ensure_multikey_physical_indexes_sync", _ensure_multikey_physical_indexes_sync),
    (sqlite_engine, "_sqlite_append_change", _append_no_change),
    (_sqlite_index_catalog, "_freeze", _freeze),
    (_collection_modify, "execute_server_update", execute_server_update),
    (sqlite_engine, "_sqlite_create_index", create_index),
)
