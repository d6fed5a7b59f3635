"""Writes skip work no client can observe, with the same results.

:mod:`embedded_mongodb.writes` shares one SQLite index among all
single-field (and all multikey) Mongo indexes, keeps no change-stream outbox,
shares index catalogs that hold ObjectIds, pools reader connections and makes
expression indexes partial. The unmarked tests assert what MongoDB answers
and run against a real MongoDB too; the ``emulator`` ones talk to embedded
server processes over throw-away data files and look into the SQLite file
(read-only) where the saving is structural. No Django.
"""

import contextlib
import itertools
import re
import sqlite3

import pytest
from bson import ObjectId, Regex
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError, OperationFailure

from embedded_mongodb import launcher
from embedded_mongodb.engine import EmbeddedEngine
from embedded_mongodb.patches import install
from embedded_mongodb.tests.conftest import serve_in_process

_collection_numbers = itertools.count()
ENTRY_INDEX_SQL = "(collection_id, index_name, type_score, element_key, storage_key)"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An embedded server whose data file the test may read."""
    data_path = tmp_path_factory.mktemp("writes") / "db.sqlite3"
    uri = launcher.ensure_server(data_path, idle_timeout=None)
    try:
        with MongoClient(uri) as client:
            yield data_path, client
    finally:
        launcher.stop_server(data_path)


@pytest.fixture
def embedded_database(server):
    return server[1].writes


@pytest.fixture
def embedded_collection(embedded_database):
    return embedded_database[f"c{next(_collection_numbers)}"]


@pytest.fixture
def collection(new_database):
    return new_database("writes")[f"c{next(_collection_numbers)}"]


def sqlite_rows(data_path, sql, params=()):
    """Rows from the data file, read-only, as the server has committed them."""
    with contextlib.closing(sqlite3.connect(f"file:{data_path}?mode=ro", uri=True)) as connection:
        return connection.execute(sql, params).fetchall()


def entry_indexes(data_path, table):
    """Names of the SQLite indexes over an entry table's lookup columns."""
    return sorted(
        name
        for name, sql in sqlite_rows(
            data_path, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
        )
        if sql and sql.replace(" ", "").endswith(ENTRY_INDEX_SQL.replace(" ", ""))
    )


def ids(cursor):
    return sorted(document["_id"] for document in cursor)


def fill(collection, count=30):
    collection.insert_many(
        {"_id": n, "a": n % 5, "b": f"b{n % 7}", "tags": [f"t{n % 3}", f"t{n % 4}"], "u": n} for n in range(count)
    )


# --- one shared SQLite index ---------------------------------------------------


@pytest.mark.emulator
def test_single_field_indexes_share_one_sqlite_index(server, embedded_database):
    data_path, _ = server
    for name in ("x1", "x2"):
        collection = embedded_database[name]
        fill(collection)
        for field in ("a", "b", "tags"):
            collection.create_index(field)
        collection.create_index("u", unique=True)
    # Eight Mongo indexes: mongoeco made eight identical SQLite indexes on
    # scalar_index_entries (and one per multikey index on multikey_entries).
    assert entry_indexes(data_path, "scalar_index_entries") == ["scidx_shared"]
    assert entry_indexes(data_path, "multikey_entries") == ["mkidx_shared"]
    names = sqlite_rows(
        data_path,
        "SELECT DISTINCT scalar_physical_name FROM indexes WHERE coll_name IN ('x1', 'x2') AND name != '_id_'",
    )
    assert names == [("scidx_shared",)]


def test_reads_through_the_shared_index_are_exact(collection):
    fill(collection)
    for field in ("a", "b", "tags"):
        collection.create_index(field)
    collection.insert_one({"_id": 100, "a": 1, "b": "b1", "tags": "t1"})
    everything = list(collection.find())
    for query, hint in [
        ({"a": 3}, "a_1"),
        ({"a": {"$gte": 3}}, "a_1"),
        ({"b": "b2"}, "b_1"),
        ({"b": {"$in": ["b1", "b6"]}}, "b_1"),
        ({"tags": "t1"}, "tags_1"),
        ({"tags": {"$in": ["t2", "t3"]}}, "tags_1"),
    ]:
        expected = ids(document for document in everything if _matches(document, query))
        assert ids(collection.find(query)) == expected, query
        assert ids(collection.find(query).hint(hint)) == expected, query
    ordered = [document["a"] for document in collection.find({"a": {"$gte": 2}}).hint("a_1").sort("a", -1)]
    assert ordered == sorted((document["a"] for document in everything if document["a"] >= 2), reverse=True)


def _matches(document, query):
    ((field, condition),) = query.items()
    values = document[field] if isinstance(document[field], list) else [document[field]]
    if isinstance(condition, dict) and "$gte" in condition:
        return any(value >= condition["$gte"] for value in values)
    if isinstance(condition, dict) and "$in" in condition:
        return any(value in condition["$in"] for value in values)
    return condition in values


def test_unique_indexes_are_still_enforced(collection):
    collection.create_index("u", unique=True)
    collection.create_index("a")
    collection.insert_one({"u": 1, "a": 1})
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"u": 1, "a": 2})
    collection.insert_one({"u": 2, "a": 1})
    with pytest.raises(DuplicateKeyError):
        collection.update_one({"u": 2}, {"$set": {"u": 1}})
    assert ids(collection.find({"u": 1})) == ids(collection.find({"u": 1, "a": 1}))


@pytest.mark.emulator
def test_dropping_an_index_or_a_collection_keeps_the_others_working(server, embedded_database):
    data_path, _ = server
    kept, dropped = embedded_database.keep_me, embedded_database.drop_me
    for collection in (kept, dropped):
        fill(collection)
        collection.create_index("a")
        collection.create_index("b")
        collection.create_index("tags")
    kept.drop_index("a_1")
    dropped.drop()
    embedded_database.drop_me_too.insert_one({"a": 1})
    embedded_database.drop_me_too.create_index("a")
    embedded_database.drop_me_too.drop_index("a_1")
    # mongoeco dropped the SQLite index of each dropped Mongo index; the
    # shared one stays for the rest.
    assert entry_indexes(data_path, "scalar_index_entries") == ["scidx_shared"]
    assert entry_indexes(data_path, "multikey_entries") == ["mkidx_shared"]
    assert ids(kept.find({"b": "b3"}).hint("b_1")) == [n for n in range(30) if n % 7 == 3]
    assert ids(kept.find({"tags": "t0"}).hint("tags_1")) == [n for n in range(30) if 0 in (n % 3, n % 4)]
    assert ids(kept.find({"a": 2})) == [n for n in range(30) if n % 5 == 2]
    assert sqlite_rows(data_path, "SELECT COUNT(*) FROM indexes WHERE coll_name = 'drop_me'") == [(0,)]
    # Recreating works, on the shared index, with entries for existing documents.
    kept.create_index("a")
    dropped.insert_one({"_id": 1, "a": 4})
    dropped.create_index("a")
    assert ids(kept.find({"a": 2}).hint("a_1")) == [n for n in range(30) if n % 5 == 2]
    assert ids(dropped.find({"a": 4}).hint("a_1")) == [1]


@pytest.mark.emulator
def test_dropping_a_database_keeps_other_databases_indexes(server):
    data_path, client = server
    for name in ("writes_gone", "writes_stays"):
        fill(client[name].items)
        client[name].items.create_index("a")
    client.drop_database("writes_gone")
    assert entry_indexes(data_path, "scalar_index_entries") == ["scidx_shared"]
    assert ids(client.writes_stays.items.find({"a": 1}).hint("a_1")) == [n for n in range(30) if n % 5 == 1]


@pytest.mark.emulator
def test_files_with_one_sqlite_index_per_mongo_index_still_work(tmp_path):
    """A data file written before (scidx_<hash>, mkidx_<hash> per index) opens
    and works as it did: reads, unique checks, drops of its own indexes."""
    data_path = tmp_path / "old.sqlite3"
    uri = launcher.ensure_server(data_path, idle_timeout=None)
    with MongoClient(uri) as client:
        collection = client.old.items
        fill(collection)
        for field in ("a", "b", "tags"):
            collection.create_index(field)
        collection.create_index("u", unique=True)
    launcher.stop_server(data_path)
    # Rewrite the file into the old layout.
    with contextlib.closing(sqlite3.connect(data_path)) as connection:
        rows = connection.execute(
            "SELECT name, scalar_physical_name, multikey_physical_name FROM indexes WHERE coll_name = 'items'"
        ).fetchall()
        for number, (name, scalar_name, multikey_name) in enumerate(rows):
            if scalar_name:
                connection.execute(f'CREATE INDEX "scidx_old{number}" ON scalar_index_entries {ENTRY_INDEX_SQL}')
                connection.execute(
                    "UPDATE indexes SET scalar_physical_name = ? WHERE name = ?", (f"scidx_old{number}", name)
                )
            if multikey_name:
                connection.execute(f'CREATE INDEX "mkidx_old{number}" ON multikey_entries {ENTRY_INDEX_SQL}')
                connection.execute(
                    "UPDATE indexes SET multikey_physical_name = ? WHERE name = ?", (f"mkidx_old{number}", name)
                )
        connection.execute('DROP INDEX "scidx_shared"')
        connection.execute('DROP INDEX "mkidx_shared"')
        connection.commit()
    old_names = entry_indexes(data_path, "scalar_index_entries")
    assert len(old_names) == 4
    uri = launcher.ensure_server(data_path, idle_timeout=None)
    try:
        with MongoClient(uri) as client:
            collection = client.old.items
            assert ids(collection.find({"a": 3}).hint("a_1")) == [n for n in range(30) if n % 5 == 3]
            assert ids(collection.find({"tags": "t2"}).hint("tags_1")) == [n for n in range(30) if 2 in (n % 3, n % 4)]
            with pytest.raises(DuplicateKeyError):
                collection.insert_one({"u": 5})
            collection.insert_one({"_id": 99, "a": 3, "b": "new", "tags": ["t2"], "u": 99})
            assert ids(collection.find({"a": 3}).hint("a_1")) == [n for n in range(30) if n % 5 == 3] + [99]
            collection.drop_index("b_1")
            assert ids(collection.find({"tags": "t2"}).hint("tags_1"))[-1] == 99
            # New indexes go to the shared SQLite index; the old ones stay.
            collection.create_index("v")
            names = entry_indexes(data_path, "scalar_index_entries")
            assert "scidx_shared" in names and len(names) == 4  # three old left, one shared
    finally:
        launcher.stop_server(data_path)


# --- no change-stream outbox --------------------------------------------------------


@pytest.mark.emulator
def test_writes_record_no_change_events(server, embedded_collection):
    data_path, _ = server
    embedded_collection.create_index("a")
    fill(embedded_collection)
    embedded_collection.insert_one({"_id": "one", "a": 1})
    embedded_collection.update_one({"_id": "one"}, {"$inc": {"a": 1}})
    embedded_collection.update_many({"a": {"$gte": 3}}, {"$set": {"big": True}})
    embedded_collection.replace_one({"_id": "one"}, {"a": 9})
    embedded_collection.find_one_and_update({"_id": 1}, {"$set": {"b": "x"}})
    embedded_collection.delete_one({"_id": "one"})
    embedded_collection.delete_many({"a": 0})
    # mongoeco appended every write to a transactional outbox (and kept an
    # identity row per event after compaction): sequence 94 after a migrate.
    assert sqlite_rows(data_path, "SELECT COUNT(*) FROM change_outbox") == [(0,)]
    assert sqlite_rows(data_path, "SELECT COUNT(*) FROM change_outbox_identities") == [(0,)]
    assert sqlite_rows(data_path, "SELECT seq FROM sqlite_sequence WHERE name = 'change_outbox'") in ([], [(0,)])
    assert embedded_collection.count_documents({}) == 30 - 6  # "one" came and went; a == 0 for six


@pytest.mark.emulator
def test_writes_in_a_transaction_still_commit_and_abort(server, embedded_collection):
    _, client = server
    embedded_collection.insert_one({"_id": 1, "n": 0})
    with client.start_session() as session, session.start_transaction():
        embedded_collection.update_one({"_id": 1}, {"$inc": {"n": 1}}, session=session)
        embedded_collection.insert_one({"_id": 2}, session=session)
    assert embedded_collection.find_one({"_id": 1})["n"] == 1 and embedded_collection.find_one({"_id": 2}) == {"_id": 2}
    with client.start_session() as session:
        session.start_transaction()
        embedded_collection.update_one({"_id": 1}, {"$inc": {"n": 1}}, session=session)
        embedded_collection.insert_one({"_id": 3}, session=session)
        session.abort_transaction()
    assert embedded_collection.find_one({"_id": 1})["n"] == 1 and embedded_collection.find_one({"_id": 3}) is None


@pytest.mark.parametrize("target", ["collection", "database", "client"])
def test_change_streams_fail_as_on_a_standalone_server(client, new_database, target):
    database = new_database("watched")
    watched = {"collection": database.watched, "database": database, "client": client}[target]
    with pytest.raises(OperationFailure) as caught:
        watched.watch()
    assert caught.value.code == 40573
    assert "only supported on replica sets" in str(caught.value)


def test_a_change_stream_stage_fails_as_on_a_standalone_server(collection):
    with pytest.raises(OperationFailure) as caught:
        list(collection.aggregate([{"$changeStream": {}}, {"$match": {"operationType": "insert"}}]))
    assert caught.value.code == 40573


# --- index catalogs with ObjectIds are shared --------------------------------------


@pytest.mark.emulator
def test_index_catalogs_holding_object_ids_are_shared():
    """Django's unique constraints carry ObjectId bounds in a partial filter;
    mongoeco then deep-copied the collection's index list on every use."""
    install()
    from mongoeco._types._bson_objectid import ObjectId as MongoecoObjectId
    from mongoeco.engines._sqlite_index_catalog import SQLiteIndexCatalog
    from mongoeco.types import EngineIndexRecord

    low, high = ObjectId("0" * 24), MongoecoObjectId("f" * 24)
    record = EngineIndexRecord(
        name="one_per_pair",
        fields=["student_id", "course_id"],
        key=[("student_id", 1), ("course_id", 1)],
        unique=True,
        partial_filter_expression={"student_id": {"$gte": low, "$lte": high}, "course_id": {"$in": [low]}},
    )
    catalog = SQLiteIndexCatalog.from_records([record])
    assert catalog is not None
    (shared,) = catalog
    assert shared.partial_filter_expression == record.partial_filter_expression
    assert shared.partial_filter_expression["student_id"]["$gte"] is low
    with pytest.raises(TypeError):
        shared.partial_filter_expression["student_id"]["$gte"] = high


def test_partial_unique_index_with_object_id_bounds_is_enforced(collection):
    bounds = {"$gte": ObjectId("0" * 24), "$lte": ObjectId("f" * 24)}
    collection.create_index(
        [("student_id", 1), ("course_id", 1)],
        unique=True,
        partialFilterExpression={"student_id": bounds, "course_id": bounds},
    )
    student, course = ObjectId(), ObjectId()
    collection.insert_one({"student_id": student, "course_id": course})
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"student_id": student, "course_id": course})
    collection.insert_one({"student_id": student, "course_id": None})
    collection.insert_one({"student_id": student, "course_id": None})  # outside the filter
    assert collection.count_documents({"student_id": student}) == 3


# --- multi updates pinned to one _id ---------------------------------------------


@pytest.mark.emulator
def test_a_multi_update_pinned_to_one_id_is_a_single_update():
    from embedded_mongodb.writes import pins_one_document

    oid = ObjectId()
    assert pins_one_document({"_id": oid})
    assert pins_one_document({"_id": {"$eq": oid}, "n": {"$gt": 1}})
    assert pins_one_document({"$and": [{"_id": oid}, {"$expr": {"$lt": ["$a", "$b"]}}, {"w": 0}]})
    assert pins_one_document({"$and": [{"x": 1}, {"$and": [{"_id": 5}]}]})
    assert pins_one_document({"_id": {"a": 1}})
    assert not pins_one_document({"_id": {"$in": [oid]}})
    assert not pins_one_document({"_id": {"$gte": oid}})
    assert not pins_one_document({"_id": {"$eq": oid, "$ne": oid}})
    assert not pins_one_document({"$or": [{"_id": oid}, {"_id": 2}]})
    assert not pins_one_document({"_id": re.compile("a")})
    assert not pins_one_document({"_id": Regex("a")})
    assert not pins_one_document({"n": 1})


def test_updates_pinned_to_one_id_count_and_apply_as_before(collection):
    """Django's conditional QuerySet.update(): multi: true with the _id in a
    $and. Matched, modified and upserted counts as for any multi update."""
    seat = ObjectId()
    collection.insert_many([{"_id": seat, "taken": 0, "capacity": 2, "waiting": 0}, {"_id": 1, "taken": 0}])

    def take_seat():
        return collection.update_many(
            {"$and": [{"_id": seat}, {"$expr": {"$lt": ["$taken", "$capacity"]}}, {"waiting": 0}]},
            [{"$set": {"taken": {"$add": ["$taken", 1]}}}],
        )

    results = [take_seat() for _ in range(3)]
    assert [(r.matched_count, r.modified_count) for r in results] == [(1, 1), (1, 1), (0, 0)]
    assert collection.find_one({"_id": seat})["taken"] == 2
    unchanged = collection.update_many({"_id": seat}, {"$set": {"waiting": 0}})
    assert (unchanged.matched_count, unchanged.modified_count) == (1, 0)
    upserted = collection.update_many({"$and": [{"_id": "new"}, {"n": 5}]}, {"$inc": {"k": 1}}, upsert=True)
    assert upserted.upserted_id == "new" and collection.find_one({"_id": "new"}) == {"_id": "new", "n": 5, "k": 1}
    collection.create_index("code", unique=True, sparse=True)
    collection.insert_one({"_id": 2, "code": "a"})
    with pytest.raises(DuplicateKeyError):
        collection.update_many({"_id": 1}, {"$set": {"code": "a"}})
    assert collection.count_documents({"code": "a"}) == 1


@pytest.mark.emulator
def test_a_multi_update_pinned_to_one_id_takes_the_single_document_path(monkeypatch):
    """The server answers it without the find-then-update of a multi update
    (~1.7 times the cost of a single update): the wire layer's update is
    handed on as a single-document one; other multi updates stay multi."""
    import asyncio

    from mongoeco.api._async import _collection_modify

    from embedded_mongodb import writes

    install()
    assert _collection_modify.execute_server_update is writes.execute_server_update
    handed_on = []

    async def execute_server_update(collection, query, change, **options):
        handed_on.append(options)

    monkeypatch.setattr(writes, "_original_execute_server_update", execute_server_update)
    pinned = {"$and": [{"_id": ObjectId()}, {"k": {"$gte": 0}}]}
    asyncio.run(writes.execute_server_update(None, pinned, {"$inc": {"k": 1}}, multi=True, sort={"k": 1}))
    asyncio.run(writes.execute_server_update(None, {"k": {"$gte": 0}}, {"$inc": {"k": 1}}, multi=True))
    asyncio.run(writes.execute_server_update(None, pinned, {"k": 1}, multi=True, replacement=True))
    assert handed_on == [
        {"multi": False, "replacement": False},
        {"multi": True, "replacement": False},
        {"multi": True, "replacement": True},
    ]


# --- reader connections are reused ------------------------------------------------


@pytest.mark.emulator
def test_readers_reuse_pooled_connections_and_see_every_commit(tmp_path, monkeypatch):
    """A read of more than one document got a new SQLite connection (pragmas
    and a parse of the whole schema) and closed it afterwards. Pooled ones
    are reused, and each new read still sees every write committed before it."""
    from mongoeco import MongoClient as InProcessClient

    from embedded_mongodb import writes

    opened = []
    connect = sqlite3.connect
    monkeypatch.setattr(
        writes.sqlite3, "connect", lambda *args, **kwargs: opened.append(args) or connect(*args, **kwargs)
    )
    install()
    client = InProcessClient(EmbeddedEngine(str(tmp_path / "db.sqlite3")))
    try:
        things = client.db.things
        things.insert_many([{"n": n} for n in range(10)])
        before = len(opened)
        for n in range(20):
            assert len(list(things.find({"n": {"$gte": 0}}))) == 10 + n
            assert things.count_documents({}) == 10 + n
            things.insert_one({"n": 100 + n})
        assert len(opened) - before <= 1
    finally:
        client.close()


@pytest.mark.emulator
def test_open_cursors_keep_their_own_snapshots(embedded_collection):
    """Each open cursor holds a reader connection (and its snapshot) until it
    is exhausted; the pool never hands one to two cursors."""
    fill(embedded_collection)
    early = embedded_collection.find({}, batch_size=4, sort=[("_id", 1)])
    first = next(early)
    embedded_collection.insert_one({"_id": "late", "k": 1})
    later = embedded_collection.find({}, batch_size=4, sort=[("_id", 1)])
    seen_early, seen_later = [first["_id"]], []
    for a, b in itertools.zip_longest(early, later):
        if a is not None:
            seen_early.append(a["_id"])
        if b is not None:
            seen_later.append(b["_id"])
        embedded_collection.insert_one({"k": 2})
    assert len(seen_early) == 30 and "late" not in seen_early
    assert len(seen_later) == 31 and "late" in seen_later
    assert embedded_collection.count_documents({}) == 31 + 31


# --- expression indexes cover their own collection --------------------------------


def expression_indexes(data_path, database, collection):
    """{physical name: CREATE statement} of a collection's expression indexes."""
    statements = dict(sqlite_rows(data_path, "SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
    names = sqlite_rows(
        data_path,
        "SELECT physical_name FROM indexes WHERE db_name = ? AND coll_name = ? AND physical_name IS NOT NULL",
        (database.name, collection.name),
    )
    return {name: statements[name] for (name,) in names}


@pytest.mark.emulator
def test_expression_indexes_hold_only_their_own_collection(server, embedded_database):
    """Each used to span every document of every collection, so each write
    added an entry to all of the app's 52."""
    data_path, _ = server
    collection = embedded_database[f"c{next(_collection_numbers)}"]
    collection.create_index("k")
    collection.create_index([("a", 1), ("b", -1)], unique=True)
    indexes = expression_indexes(data_path, embedded_database, collection)
    assert len(indexes) == 2
    for statement in indexes.values():
        assert statement.endswith(f"WHERE db_name = 'writes' AND coll_name = '{collection.name}'")


@pytest.mark.emulator
def test_reads_seek_partial_indexes_and_hints_still_work(embedded_collection):
    embedded_collection.create_index("k", unique=True)
    embedded_collection.create_index([("a", 1), ("b", 1)])
    embedded_collection.insert_many([{"k": f"v{n}", "a": n % 3, "b": n} for n in range(30)])
    for query in ({"$and": [{"b": {"$gte": 0}}, {"a": 1}]}, {"k": "v4", "b": {"$lt": 10}}):
        explain = {"find": embedded_collection.name, "filter": query}
        steps = embedded_collection.database.command("explain", explain)["details"]
        assert any("USING INDEX idx_" in step and "<expr>=?" in step for step in steps["engine_details"]), steps
    assert [d["b"] for d in embedded_collection.find({"a": 1}).hint([("a", 1), ("b", 1)])] == list(range(1, 30, 3))
    assert [d["b"] for d in embedded_collection.find({}).sort([("a", 1), ("b", 1)]).limit(3)] == [0, 3, 6]
    assert embedded_collection.find_one({"k": "v7"}, hint="k_1")["b"] == 7
    with pytest.raises(DuplicateKeyError):
        embedded_collection.insert_one({"k": "v7"})


@pytest.mark.emulator
def test_a_renamed_collection_gets_its_partial_indexes_back(server, embedded_database):
    data_path, _ = server
    collection = embedded_database[f"c{next(_collection_numbers)}"]
    collection.create_index("k")
    collection.insert_many([{"k": n} for n in range(20)])
    renamed = embedded_database[f"{collection.name}_renamed"]
    collection.rename(renamed.name)
    (statement,) = expression_indexes(data_path, embedded_database, renamed).values()
    assert statement.endswith(f"WHERE db_name = 'writes' AND coll_name = '{renamed.name}'")
    assert [d["k"] for d in renamed.find({"k": {"$gte": 17}}).hint("k_1")] == [17, 18, 19]
    assert renamed.count_documents({"k": 3}) == 1 and collection.count_documents({}) == 0


# --- 7. A unique index is built with a set of keys ------------------------------


def test_a_unique_index_is_refused_over_duplicate_keys_and_built_over_distinct_ones(collection):
    collection.insert_many([
        {"student": 1, "course": 1}, {"student": 1, "course": 2}, {"student": 2, "course": 1}, {"other": True},
    ])
    collection.create_index([("student", 1), ("course", 1)], unique=True)
    with pytest.raises(DuplicateKeyError):
        collection.create_index("student", unique=True, name="one_per_student")
    # Missing is null: the documents without the field share one key.
    with pytest.raises(DuplicateKeyError):
        collection.create_index("other", unique=True)
    # Unless the index leaves such documents out.
    collection.create_index("other", unique=True, partialFilterExpression={"other": {"$exists": True}})
    collection.create_index("course", unique=True, sparse=True, partialFilterExpression={"student": 2})
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"student": 1, "course": 1})


def test_an_existing_unique_index_is_created_again_without_complaint(collection):
    collection.insert_many([{"k": 1}, {"k": 2}])
    assert collection.create_index("k", unique=True) == collection.create_index("k", unique=True)


@pytest.mark.emulator
def test_a_unique_index_build_compares_no_pair_of_documents(in_process, count_calls, sqlite_steps):
    """mongoeco compared each document with every one before it (hours for
    100,000 documents), and deleted each document's index entries with a
    scan of the whole index; each document is now read once for the check."""
    collection = in_process.writes[f"build{ObjectId()}"]
    collection.insert_many([{"student": n, "course": n % 7} for n in range(3000)])
    comparisons = count_calls(EmbeddedEngine, "_unique_index_conflict")
    sqlite_steps.clear()
    collection.create_index("student", unique=True)
    assert comparisons == []
    # Each document's entries are found by its key: a few hundred SQLite
    # instructions each, not a pass over the index's entries.
    assert len(sqlite_steps) < 3000 * 500


# --- 8. The index entries are rebuilt on open only when needed ------------------------


@pytest.mark.emulator
def test_a_file_is_opened_without_rebuilding_the_entries_its_writes_kept(tmp_path, count_calls):
    data_path = tmp_path / "kept.sqlite3"
    rebuilt = count_calls(EmbeddedEngine, "_build_scalar_rows_for_document")
    with serve_in_process(data_path) as client:
        client.app.things.create_index("k")
        client.app.things.insert_many([{"k": n % 50} for n in range(500)])
    rebuilt.clear()
    with serve_in_process(data_path) as client:
        assert rebuilt == []  # opened as it was left
        client.app.things.insert_many([{"k": 7}, {"k": 1000}])
        client.app.things.delete_many({"k": 3})
        assert client.app.things.count_documents({"k": 7}) == 11
    # Another version (or plain mongoeco) kept the file last: its entries are rebuilt.
    with contextlib.closing(sqlite3.connect(data_path)) as database, database:
        database.execute("UPDATE embedded_mongodb_state SET value = 'mongoeco 0.0.1'")
    with serve_in_process(data_path) as client:
        assert len(rebuilt) >= 492  # every document (and those of the server's own collections)
        assert client.app.things.count_documents({"k": 1000}) == 1
        assert client.app.things.count_documents({"k": 3}) == 0
