"""Tell whoever watches the engine which documents each write changes, as it changes them.

Why: the query cache (:mod:`.query_cache`) forgot every answer about a
collection at any write to it. On registration day every enrollment is a
write to the enrollments, so a student's page read its 65 rows, their
courses and terms again after any other student's enrollment: mongoeco's
Python costs about 0.3 ms a document. MongoDB's own cache is per document.
Knowing which documents a write changed, before and after, the cache forgets
only the answers those documents can reach.

Every document mongoeco stores is one row of its ``documents`` table, and
every statement that changes one names it by namespace and primary key
(``storage_key``): an insert binds them first, an update or a delete binds
them last (an update of the whole document also binds its new key).
:class:`.writes.SharedIndexConnection` runs each such statement through
:func:`watched_write` while anyone watches the engine, which reads the
row's stored payload before and after and reports a :class:`DocumentWrite`. Any other statement that
writes the table (dropping a collection or a database, a rename) is
reported as a write of unknown reach, which a watcher takes as a change to
everything.

Inherited by :class:`.engine.EmbeddedEngine` (:class:`WatchedWrites`); the
tests are in ``tests/test_document_writes.py`` and ``tests/test_query_cache.py``.
"""

import functools
import re
from collections.abc import Callable
from typing import NamedTuple


class DocumentWrite(NamedTuple):
    # None for a write of unknown reach, in any database.
    db_name: str | None
    coll_name: str | None
    # None for a write of any document of the collection.
    storage_key: str | None
    # The stored payloads (decode them with ``decode``); None where the document did not exist.
    before: str | None
    after: str | None
    decode: Callable | None


EVERYWHERE = DocumentWrite(None, None, None, None, None, None)

_WRITES_DOCUMENTS = re.compile(
    r"\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+documents\b",
    re.IGNORECASE,
)
# One document, named by the first three parameters.
_INSERT_ONE = re.compile(
    r"\s*INSERT INTO documents \(db_name, coll_name, storage_key, document\)\s+VALUES \(\?, \?, \?, \?\)"
    r"(?:\s+ON CONFLICT\(db_name, coll_name, storage_key\)\s+"
    r"DO (?:NOTHING|UPDATE SET document = excluded\.document))?\s*\Z"
)
# One document, named by the last three parameters; an update that sets no storage_key.
_ONE_BY_KEY = re.compile(
    r"\s*(?:DELETE FROM documents|UPDATE documents\s+SET\s(?:(?!storage_key)[^;])*?)"
    r"\s+WHERE db_name = \? AND coll_name = \? AND storage_key = \?\s*\Z",
    re.DOTALL,
)
# mongoeco's update of a whole document: its new key is the second parameter
# (the same as the old one unless the update changed the _id).
_REKEYED = re.compile(
    r"\s*UPDATE documents\s+SET document = \?, storage_key = \?"
    r"\s+WHERE db_name = \? AND coll_name = \? AND storage_key = \?\s*\Z"
)
_PAYLOAD = "SELECT document FROM documents WHERE db_name = ? AND coll_name = ? AND storage_key = ?"


@functools.lru_cache(maxsize=1024)
def write_shape(sql: str) -> str | None:
    """How a statement names the documents it writes: "first" or "last"
    (its first or last three parameters name one document), "rekeyed" (the
    last three name it, and the second its new key), "unknown" (it writes
    documents some other way), or None when it writes none."""
    if not _WRITES_DOCUMENTS.match(sql):
        return None
    if _INSERT_ONE.match(sql):
        return "first"
    if _ONE_BY_KEY.match(sql):
        return "last"
    if _REKEYED.match(sql):
        return "rekeyed"
    return "unknown"


def watched_write(connection, shape: str, sql: str, parameters, execute):
    """Run ``execute(sql, parameters)`` and report what it changed to each
    of ``connection.document_watchers``."""
    named = type(parameters) in (list, tuple) and len(parameters) >= (5 if shape == "rekeyed" else 3)
    if shape == "unknown" or not named:
        cursor = execute(sql, parameters)
        _report(connection, EVERYWHERE)
        return cursor
    db_name, coll_name, storage_key = parameters[:3] if shape == "first" else parameters[-3:]
    keys = list(dict.fromkeys([storage_key, parameters[1]] if shape == "rekeyed" else [storage_key]))
    before = [_payload(connection, db_name, coll_name, key) for key in keys]
    cursor = execute(sql, parameters)
    for key, was in zip(keys, before, strict=True):
        now = _payload(connection, db_name, coll_name, key)
        if was != now:
            _report(connection, DocumentWrite(db_name, coll_name, key, was, now, connection.decode_document))
    return cursor


def _report(connection, write: DocumentWrite) -> None:
    for watcher in connection.document_watchers:
        watcher(write)


def _payload(connection, db_name, coll_name, storage_key) -> str | None:
    # sqlite3's own execute: this read is not one to rewrite or to watch.
    row = connection.execute_unwatched(_PAYLOAD, (db_name, coll_name, storage_key)).fetchone()
    return None if row is None else row[0]


class WatchedWrites:
    """The engine calls each function of ``document_watchers`` with every
    document write, on the thread that makes it (the server's loop, or one
    of mongoeco's workers for a bulk insert), right after the statement."""

    def __init__(self, *args, **kwargs):
        self.document_watchers: list[Callable[[DocumentWrite], None]] = []
        super().__init__(*args, **kwargs)

    def _connect(self):
        connection = super()._connect()
        connection.document_watchers = self.document_watchers
        connection.decode_document = self._deserialize_document
        return connection
