"""Cheaper writes (and reads' connections) for mongoeco's SQLite engine, same results.

mongoeco 4.11.0 spent most of a small write on work no client can observe.
Server CPU per operation on a database migrated by the app (the enroll
request's writes), without this module (mongoeco with compat and speed) → with
:func:`apply`:

* conditional ``update_one`` with ``$inc`` on a course: 6-7 ms → 3.4 ms
* ``update_many`` as Django sends the seat update: 10-11 ms → 3.9 ms
* ``insert_one`` of an enrollment (unique pair index): 9.6 ms → 2.9 ms
* ``insert_one`` of an enrollment event: 6.3 ms → 2.2 ms
* a transaction, ``update_one`` + ``insert_one``: 20 ms → 8-9 ms

The changes:

1. **One shared SQLite index for all scalar (and all multikey) entries.**
   Every single-field Mongo index got its own SQLite index
   ``scidx_<hash>`` ON scalar_index_entries (collection_id, index_name,
   type_score, element_key, storage_key): the same columns every time, each
   covering every row of the table (all collections, all indexes). With the
   app's 35 single-field indexes each scalar entry insert updated 35
   identical B-trees. Every lookup already pins ``collection_id`` and
   ``index_name``, so one shared B-tree gives the same plans and results.
   New indexes now all name ``scidx_shared`` (and ``mkidx_shared`` for
   multikey entries, same story); the name is stored per index in the
   ``indexes`` table as before, so reads (``INDEXED BY <name>``) are
   unchanged. The shared indexes are created when the server opens the
   file and are never dropped: dropping one Mongo index (or a collection or
   a database) deletes its entries as before but leaves the shared B-tree
   to the others. Files written before this keep their per-index SQLite
   indexes, which still work as they did (nothing is migrated).

2. **No change-stream bookkeeping.** The embedded server presents itself as
   a standalone ``mongod`` (no ``setName``), and a standalone has no change
   streams; mongoeco's wire layer refused ``$changeStream`` anyway. Yet every
   write appended to a transactional outbox (``change_outbox`` and
   ``change_outbox_identities``, with compaction), then "dispatched" it: a
   lease taken and released on a second SQLite connection, a heartbeat
   thread started and joined, a checkpoint written, the outbox compacted —
   four or five extra commits per write, each of which also made the main
   connection drop its index catalog cache (``PRAGMA data_version``
   changed) and rebuild it on the next request. The engine now declares
   ``change_delivery="none"`` (mongoeco's mode for engines without an
   outbox) and records nothing. A ``watch()`` / ``$changeStream`` now fails
   the way it does on a real standalone: code 40573, "The $changeStream
   stage is only supported on replica sets".

3. **Index catalogs with ObjectIds are shared, not copied.** mongoeco keeps
   each collection's index list as a frozen, shared catalog, except when a
   value in it is not on its short list of immutable types: then every
   ``_load_indexes`` call (three or four per write, more per read) deep-copies
   the whole list. django-mongodb-backend's unique constraints carry a
   ``partialFilterExpression`` with ObjectId bounds (``{"student_id": {"$gte":
   ObjectId("000…"), "$lte": ObjectId("fff…")}}``), so the enrollment
   collection (and every many-to-many table) took the copying path. An
   ObjectId is immutable (its 12 bytes are set once, and there is no public
   way to change them), so it is frozen as it is, like a str or a datetime.

4. **A multi-document update pinned to one ``_id`` runs as a single-document
   update.** Django's ``QuerySet.update()`` sends ``update_one`` only when
   the filter's top level is ``{"_id": <ObjectId>}``; the app's conditional
   seat update (``{"$and": [{"_id": …}, {"$expr": …}, {"waitlist_count":
   0}]}``) goes as ``multi: true``. mongoeco runs a multi update as a find
   (through a reader snapshot), then one single-document update per match
   that re-checks the filter. When the filter requires ``_id`` to equal one
   value (directly or in a clause of a top-level ``$and``) it can match at
   most one document, as ``_id`` is unique, so the single-document update
   gives the same result (matched, modified, upserted) in one step.

5. **Reader connections are reused.** A read that may return more than one
   document (every ``aggregate`` Django sends, every ``find`` without
   ``limit: 1``) got a dedicated SQLite connection, for a snapshot of its
   own: ``sqlite3.connect``, two pragmas, a parse of the whole schema on the
   first statement, and a close at the end, about half of a small read's
   cost (an aggregate by ``_id``: 3.6 ms → 1.8 ms of server CPU). Those
   connections now come from a pool of up to eight per engine and go back
   to it with their transaction rolled back, so each read still takes a
   fresh snapshot at its ``BEGIN``, and an open cursor keeps its connection
   (and snapshot) until it is closed.

6. **Each expression index covers its own collection.** mongoeco keeps all
   documents in one table and gives every ordered Mongo index an expression
   index over that whole table (``idx_<hash>`` ON documents (db_name,
   coll_name, type and value of each field)). So every document written, in
   any collection, got an entry in all of them: with the app's 52, an
   insert or an update dirtied some 55 B-tree pages, each written to the WAL
   at commit (raw SQLite: 1.1 ms per insert against 0.12 ms with partial
   indexes). An index is now created partial, ``WHERE db_name = '<db>' AND
   coll_name = '<collection>'``, and holds its own collection's documents
   only (server CPU per insert 2.5 → 1.7 ms, per update 3.2 → 2.3 ms on the
   app's database). SQLite uses a partial index only for a statement whose
   WHERE names the same literals, so a read of documents that binds the
   namespace as its first two parameters (every ``SELECT`` mongoeco builds,
   hinted ones included, and this package's own lookups) has them written
   into the statement instead; other statements are left alone. A renamed
   collection gets its expression indexes re-created for its new name.
   Files written before keep their whole-table indexes, which still work.

Not changed, on purpose:

* ``PRAGMA synchronous``: mongoeco already opens every connection with
  ``journal_mode=WAL`` and ``synchronous=NORMAL``. Under WAL, NORMAL writes
  each commit to the WAL file before the commit returns (no fsync), so an
  acknowledged write survives the server being killed (SIGKILL): the WAL is
  in the OS page cache and is replayed on the next open. Only an OS crash or
  power loss can lose the last commits, which FULL would prevent at the
  price of an fsync per write. That trade is mongoeco's default and right
  for a development server; nothing to do here.

Server process only, pinned like :mod:`embedded_mongodb.speed`, which
calls :func:`apply`; the tests in ``embedded_mongodb/tests/test_writes.py``
fail without it.
"""

import contextlib
import dataclasses
import functools
import re
import sqlite3
import threading

import bson
from mongoeco._types._bson_objectid import OBJECT_ID_TYPES
from mongoeco.api._async import _collection_modify
from mongoeco.engines import _sqlite_index_catalog, _sqlite_index_runtime
from mongoeco.engines import sqlite as sqlite_engine
from mongoeco.engines._sqlite_connection import SQLiteConnection
from mongoeco.engines._sqlite_reader import SQLiteScanReader
from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.errors import OperationFailure
from mongoeco.wire import _executor_validation

from .pin import require_pinned_mongoeco

require_pinned_mongoeco(__name__)


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


class SharedIndexConnection(SQLiteConnection):
    """mongoeco's connection, where the shared entry indexes are created at
    most once and never dropped. mongoeco issues ``CREATE INDEX <name>`` when
    a Mongo index is created and ``DROP INDEX IF EXISTS <name>`` when one is
    dropped (index, collection or database); for a shared name the first
    becomes ``IF NOT EXISTS`` and the second does nothing."""

    # The ReaderPool this connection goes back to when closed (see part 5).
    pool = None

    def execute(self, sql, parameters=(), /):
        if sql.startswith(("CREATE INDEX", "DROP INDEX")):
            if any(name in sql for name in _SHARED_QUOTED):
                if sql.startswith("DROP INDEX"):
                    sql, parameters = _NOTHING, ()
                elif not sql.startswith("CREATE INDEX IF NOT EXISTS"):
                    sql = "CREATE INDEX IF NOT EXISTS" + sql[len("CREATE INDEX"):]
            elif (namespace := getattr(_creating_index_in, "namespace", None)) and _DOCUMENTS_INDEX.match(sql):
                sql += f" WHERE {_namespace_sql(*namespace)}"
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


def _create_index(conn, *, db_name, coll_name, **kwargs):
    """mongoeco's index creation, during which the expression index it
    creates on documents is made partial to the index's collection."""
    _creating_index_in.namespace = (db_name, coll_name)
    try:
        return _original_create_index(conn, db_name=db_name, coll_name=coll_name, **kwargs)
    finally:
        _creating_index_in.namespace = None


_original_rename_collection = sqlite_engine._sqlite_rename_collection


def _rename_collection(*, conn, db_name, coll_name, new_name, **kwargs):
    """mongoeco's rename moves the documents and the index records to the
    new name; the expression indexes, partial to the old name, are then
    re-created for the new one (in one savepoint), or reads of the renamed
    collection could not use them, and a hinted one would fail."""
    _original_rename_collection(conn=conn, db_name=db_name, coll_name=coll_name, new_name=new_name, **kwargs)
    old_where = f" WHERE {_namespace_sql(db_name, coll_name)}"
    recreate = []
    for (physical_name,) in conn.execute(
        "SELECT physical_name FROM indexes WHERE db_name = ? AND coll_name = ? AND physical_name IS NOT NULL",
        (db_name, new_name),
    ).fetchall():
        row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (physical_name,)).fetchone()
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


def _physical_scalar_index_name(self, db_name, coll_name, index_name):
    return SHARED_SCALAR_INDEX


def _physical_multikey_index_name(self, db_name, coll_name, index_name):
    return SHARED_MULTIKEY_INDEX


_original_backfill_scalar_indexes = SQLiteEngine._backfill_scalar_indexes_sync
_original_ensure_scalar = _sqlite_index_runtime.ensure_scalar_physical_indexes_sync
_original_ensure_multikey = _sqlite_index_runtime.ensure_multikey_physical_indexes_sync


def _create_sqlite_connection(self):
    """mongoeco's own ``_create_sqlite_connection`` (same path, pragmas and
    connection class behaviour), with :class:`SharedIndexConnection` as the
    factory. Every connection mongoeco opens comes from here; a scan
    reader's comes from the engine's :class:`ReaderPool` (part 5)."""
    if getattr(_opening_reader, "active", False):
        pool = _reader_pool(self)
        if connection := pool.take():
            return connection
        connection = _connect(self)
        connection.pool = pool
        return connection
    return _connect(self)


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
    open), so every later write and read can count on them."""
    for statement in _CREATE_SHARED:
        conn.execute(statement)
    return _original_backfill_scalar_indexes(self, conn)


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


# --- 2. No change-stream outbox -------------------------------------------------

_STANDALONE_CAPABILITIES = dataclasses.replace(SQLiteEngine.capabilities, change_delivery="none")


def _append_no_change(conn, **_kwargs):
    """mongoeco's outbox append, for an engine that delivers no changes:
    nothing is recorded and there is no commit sequence."""
    return None


CHANGE_STREAM_ERROR_CODE = 40573
CHANGE_STREAM_ERROR = "The $changeStream stage is only supported on replica sets"
_original_validate_aggregate = _executor_validation._WIRE_COMMAND_VALIDATORS["aggregate"]


def _validate_aggregate(body, command_document):
    """A standalone mongod refuses a change stream (collection, database or
    cluster: ``aggregate`` on a name or on 1) with code 40573."""
    pipeline = command_document.get("pipeline")
    if isinstance(pipeline, list) and any(
        isinstance(stage, dict) and "$changeStream" in stage for stage in pipeline
    ):
        raise OperationFailure(CHANGE_STREAM_ERROR, code=CHANGE_STREAM_ERROR_CODE)
    return _original_validate_aggregate(body, command_document)


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


async def _execute_server_update(collection, query, change, *, multi=False, replacement=False, **options):
    if multi and not replacement and pins_one_document(query):
        options.pop("sort", None)
        multi = False
    return await _original_execute_server_update(
        collection, query, change, multi=multi, replacement=replacement, **options
    )


# --- 5. Reader connections are reused ----------------------------------------------

READER_POOL_SIZE = 8
_opening_reader = threading.local()
_original_reader_open = SQLiteScanReader._open


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


def _reader_pool(engine) -> ReaderPool:
    pool = engine.__dict__.get("_registrar_reader_pool")
    if pool is None:
        pool = engine.__dict__.setdefault("_registrar_reader_pool", ReaderPool())
    return pool


def _reader_open(self):
    """mongoeco's scan reader opens (and closes) a connection of its own for
    every read that may return more than one document: a new SQLite
    connection, its pragmas and a parse of the whole schema each time, about
    half of a small aggregate's cost. Mark the open so that the factory
    hands it a pooled connection."""
    _opening_reader.active = True
    try:
        return _original_reader_open(self)
    finally:
        _opening_reader.active = False


def _share_entry_indexes() -> None:
    SQLiteEngine._physical_scalar_index_name = _physical_scalar_index_name
    SQLiteEngine._physical_multikey_index_name = _physical_multikey_index_name
    SQLiteEngine._create_sqlite_connection = _create_sqlite_connection
    SQLiteEngine._backfill_scalar_indexes_sync = _backfill_scalar_indexes_sync
    _sqlite_index_runtime.ensure_scalar_physical_indexes_sync = _ensure_scalar_physical_indexes_sync
    _sqlite_index_runtime.ensure_multikey_physical_indexes_sync = _ensure_multikey_physical_indexes_sync
    sqlite_engine._sqlite_runtime_ensure_scalar_physical_indexes_sync = _ensure_scalar_physical_indexes_sync
    sqlite_engine._sqlite_runtime_ensure_multikey_physical_indexes_sync = _ensure_multikey_physical_indexes_sync


def _drop_change_outbox() -> None:
    SQLiteEngine.capabilities = _STANDALONE_CAPABILITIES
    sqlite_engine._sqlite_append_change = _append_no_change
    _executor_validation._WIRE_COMMAND_VALIDATORS["aggregate"] = _validate_aggregate


def _share_catalogs_with_object_ids() -> None:
    _sqlite_index_catalog._freeze = _freeze


def _reuse_reader_connections() -> None:
    SQLiteScanReader._open = _reader_open


def _partial_expression_indexes() -> None:
    sqlite_engine._sqlite_create_index = _create_index
    sqlite_engine._sqlite_rename_collection = _rename_collection


def _single_updates_of_one_id() -> None:
    _collection_modify.execute_server_update = _execute_server_update


def apply() -> None:
    """Install the write savings (idempotent)."""
    _share_entry_indexes()
    _drop_change_outbox()
    _share_catalogs_with_object_ids()
    _single_updates_of_one_id()
    _reuse_reader_connections()
    _partial_expression_indexes()


apply()
