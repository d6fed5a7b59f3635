"""The engine reports every document each write changes, before and after.

The query cache forgets answers by these reports (``test_query_cache.py``):
a write that went unreported would leave a stale answer, so every way
mongoeco writes a document is driven here, through mongoeco's in-process
client on the embedded engine, and its report checked.
"""

import contextlib
import sqlite3

import pytest
from bson import ObjectId

from embedded_mongodb.document_writes import EVERYWHERE, write_shape
from embedded_mongodb.engine import EmbeddedEngine
from embedded_mongodb.patches import install
from embedded_mongodb.writes import SharedIndexConnection

pytestmark = pytest.mark.emulator

WRITES = frozenset({sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE})


@pytest.fixture
def every_statement_writing_documents_is_told_apart(monkeypatch):
    """SQLite's authorizer names the tables a statement writes, whatever its text:
    a statement that writes documents and that write_shape takes for one that
    does not would go unreported, and leave the query cache's answers stale."""
    unrecognised, written = [], []
    execute = SharedIndexConnection._execute

    def authorize(action, table, *_):
        if action in WRITES and table == "documents":
            written.append(table)
        return sqlite3.SQLITE_OK

    def checked(connection, sql, parameters):
        if connection not in authorized:
            connection.set_authorizer(authorize)
            authorized.append(connection)
        written.clear()
        cursor = execute(connection, sql, parameters)
        if written:
            written_seen.append(sql)
            if write_shape(sql) is None:
                unrecognised.append(sql)
        return cursor

    authorized, written_seen = [], []
    monkeypatch.setattr(SharedIndexConnection, "_execute", checked)
    yield
    for connection in authorized:
        with contextlib.suppress(sqlite3.ProgrammingError):  # closed with the engine
            connection.set_authorizer(None)
    assert written_seen, "the authorizer saw no write of documents"
    assert unrecognised == []


@pytest.fixture
def engine(tmp_path, every_statement_writing_documents_is_told_apart):
    install()
    return EmbeddedEngine(str(tmp_path / "db.sqlite3"))


@pytest.fixture
def client(engine):
    from mongoeco import MongoClient as InProcessClient

    client = InProcessClient(engine)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def database(client):
    return client.school


@pytest.fixture
def reports(engine):
    """What the engine reports: (collection, _id before, _id after, before, after), or EVERYWHERE."""
    found = []

    def watch(write):
        if write.db_name is None:
            found.append(write)
            return
        before, after = (None if payload is None else write.decode(payload) for payload in (write.before, write.after))
        found.append((write.coll_name, before, after))

    engine.document_watchers.append(watch)
    return found


def test_inserts_report_each_new_document(database, reports):
    database.enrollments.insert_one({"_id": 1, "student": "a"})
    database.enrollments.insert_many([{"_id": 2, "student": "b"}, {"_id": 3, "student": "c"}])
    assert reports == [
        ("enrollments", None, {"_id": 1, "student": "a"}),
        ("enrollments", None, {"_id": 2, "student": "b"}),
        ("enrollments", None, {"_id": 3, "student": "c"}),
    ]


def test_updates_report_each_document_before_and_after(database, reports):
    database.enrollments.insert_many([{"_id": 1, "n": 1}, {"_id": 2, "n": 2}, {"_id": 3, "n": 9}])
    reports.clear()
    database.enrollments.update_one({"_id": 1}, {"$inc": {"n": 10}})
    database.enrollments.update_many({"n": {"$lt": 5}}, {"$set": {"small": True}})
    database.enrollments.replace_one({"_id": 3}, {"n": 0})
    database.enrollments.find_one_and_update({"_id": 3}, {"$unset": {"n": ""}})
    assert reports == [
        ("enrollments", {"_id": 1, "n": 1}, {"_id": 1, "n": 11}),
        ("enrollments", {"_id": 2, "n": 2}, {"_id": 2, "n": 2, "small": True}),
        ("enrollments", {"_id": 3, "n": 9}, {"_id": 3, "n": 0}),
        ("enrollments", {"_id": 3, "n": 0}, {"_id": 3}),
    ]


def test_an_update_that_changes_nothing_reports_nothing(database, reports):
    database.enrollments.insert_one({"_id": 1, "n": 1})
    reports.clear()
    database.enrollments.update_one({"_id": 1}, {"$set": {"n": 1}})
    assert reports == []


def test_upserts_report_the_document_they_insert(database, reports):
    database.enrollments.update_one({"_id": 7}, {"$set": {"n": 1}}, upsert=True)
    database.enrollments.replace_one({"_id": 8}, {"n": 2}, upsert=True)
    database.enrollments.find_one_and_update({"_id": 9}, {"$set": {"n": 3}}, upsert=True)
    assert reports == [
        ("enrollments", None, {"_id": 7, "n": 1}),
        ("enrollments", None, {"_id": 8, "n": 2}),
        ("enrollments", None, {"_id": 9, "n": 3}),
    ]


def test_deletes_report_each_document_they_remove(database, reports):
    student = ObjectId()
    database.enrollments.insert_many([{"_id": n, "student": student} for n in range(4)])
    reports.clear()
    database.enrollments.delete_one({"_id": 0})
    database.enrollments.find_one_and_delete({"_id": 1})
    database.enrollments.delete_many({"student": student})
    assert reports == [("enrollments", {"_id": n, "student": student}, None) for n in range(4)]


def test_dropping_or_renaming_reports_a_write_of_unknown_reach(client, database, reports):
    database.enrollments.insert_one({"_id": 1})
    database.courses.insert_one({"_id": 1})
    reports.clear()
    database.enrollments.rename("archive")
    assert EVERYWHERE in reports
    reports.clear()
    database.courses.drop()
    assert EVERYWHERE in reports
    reports.clear()
    client.drop_database("school")
    assert EVERYWHERE in reports


def test_a_failed_insert_reports_nothing(database, reports):
    database.enrollments.insert_one({"_id": 1})
    reports.clear()
    with pytest.raises(Exception, match="uplicate"):
        database.enrollments.insert_one({"_id": 1})
    assert reports == []


@pytest.mark.parametrize(("sql", "shape"), [
    ("SELECT document FROM documents WHERE db_name = ? AND coll_name = ?", None),
    ("INSERT INTO scalar_index_entries (collection_id) VALUES (?)", None),
    ("\n  INSERT INTO documents (db_name, coll_name, storage_key, document)\n  VALUES (?, ?, ?, ?)\n", "first"),
    ("DELETE FROM documents\n WHERE db_name = ? AND coll_name = ? AND storage_key = ?", "last"),
    ("UPDATE documents SET document = json_set(document, ?, ?) WHERE db_name = ? AND coll_name = ? AND storage_key = ?",
     "last"),
    ("UPDATE documents SET document = ?, storage_key = ? WHERE db_name = ? AND coll_name = ? AND storage_key = ?",
     "rekeyed"),
    ("UPDATE documents SET storage_key = ?, document = ? WHERE db_name = ? AND coll_name = ? AND storage_key = ?",
     "unknown"),
    ("DELETE FROM documents WHERE db_name = ? AND coll_name = ?", "unknown"),
    ("INSERT OR REPLACE INTO documents SELECT * FROM documents", "unknown"),
])
def test_statements_are_told_apart_by_how_they_name_the_documents_they_write(sql, shape):
    assert write_shape(sql) == shape
