"""Repeated reads come from memory, and never a stale answer.

The first tests (``emulator``) drive :class:`embedded_mongodb.query_cache.QueryCache`
directly with a stand-in for mongoeco's executor, to show what it reuses and
when it must not. The rest talk pymongo over TCP to a server (an embedded
server process, which has the cache, or a real MongoDB) and check that every
kind of write is seen by the next read, as on real MongoDB.
"""

import asyncio
import itertools
import time
from types import SimpleNamespace

import pytest
from pymongo.errors import OperationFailure

from embedded_mongodb import query_cache
from embedded_mongodb.credentials import Credentials
from embedded_mongodb.query_cache import MAX_DOCUMENTS, QueryCache
from embedded_mongodb.server import make_server


class FakeExecutor:
    """Answers every command with a fresh cursor and counts what it ran."""

    def __init__(self):
        self.ran = []
        self.during = None
        # What a probe of the pipeline's own collection finds.
        self.base_documents = 0

    async def execute(self, context):
        pipeline = context.command_document.get("pipeline") or [{}]
        probe = pipeline[-1] == {"$project": {"_id": 1}}
        self.ran.append("probe" if probe else context.command_name)
        if self.during is not None:
            during, self.during = self.during, None
            await during()
        if context.command_name in ("find", "aggregate"):
            count = self.base_documents if probe else context.command_document.get("documents", 1)
            batch = [{"n": len(self.ran)}] * count
            return {"cursor": {"id": 0, "ns": "db.c", "firstBatch": batch}, "ok": 1}
        return {"n": 1, "ok": 1}


def command(name, target="courses", *, transaction=False, **fields):
    body = {name: target, **fields}
    raw = {**body, "lsid": {"id": 1}, **({"txnNumber": 1} if transaction else {})}
    return SimpleNamespace(db_name="school", command_name=name, command_document=body, raw_body=raw)


@pytest.fixture
def executor():
    return FakeExecutor()


@pytest.fixture
def run(executor):
    cached = QueryCache().wrap(executor.execute)
    return lambda context: asyncio.run(cached(context))


@pytest.mark.emulator
def test_a_repeated_read_is_answered_without_running_it(run, executor):
    first = run(command("find", filter={"code": "ART101"}))
    second = run(command("find", filter={"code": "ART101"}))
    assert second == first
    assert executor.ran == ["find"]


@pytest.mark.emulator
def test_the_caller_cannot_change_the_stored_answer(run, executor):
    run(command("find"))["cursor"]["firstBatch"].clear()
    assert run(command("find"))["cursor"]["firstBatch"] == [{"n": 1}]


@pytest.mark.emulator
def test_a_different_question_is_run(run, executor):
    run(command("find", filter={"n": 1}))
    run(command("find", filter={"n": 1.0}))
    run(command("find", filter={"n": "1"}))
    run(command("find", sort={"a": 1, "b": 1}))
    run(command("find", sort={"b": 1, "a": 1}))
    assert len(executor.ran) == 5


@pytest.mark.emulator
def test_a_write_to_the_collection_is_seen_by_the_next_read(run, executor):
    run(command("find"))
    run(command("update", updates=[]))
    run(command("find"))
    assert executor.ran == ["find", "update", "find"]


@pytest.mark.emulator
def test_a_write_to_another_collection_keeps_the_answer(run, executor):
    run(command("find"))
    run(command("insert", "users", documents=[]))
    run(command("find"))
    assert executor.ran == ["find", "insert"]


@pytest.mark.emulator
def test_a_write_to_a_joined_collection_is_seen(run, executor):
    pipeline = [{"$lookup": {"from": "terms", "localField": "term_id", "foreignField": "_id", "as": "term"}}]
    run(command("aggregate", pipeline=pipeline, cursor={}))
    run(command("delete", "terms", deletes=[]))
    run(command("aggregate", pipeline=pipeline, cursor={}))
    assert executor.ran == ["aggregate", "delete", "aggregate"]


PREREQUISITES = [
    {"$lookup": {"from": "courses", "localField": "to_id", "foreignField": "_id", "as": "T3"}},
    {"$unwind": "$T3"},
    {"$match": {"from_id": 7, "T3.code": {"$ne": None}}},
    {"$sort": {"T3.code": 1}},
]


@pytest.mark.emulator
def test_an_empty_join_of_nothing_stops_depending_on_the_joined_collection(run, executor):
    """A course without prerequisites: no link from it, so what the joined
    courses hold cannot change the (empty) answer."""
    ask = command("aggregate", "links", pipeline=PREREQUISITES, cursor={}, documents=0)
    run(ask)
    run(command("update", "courses", updates=[]))
    run(ask)  # only the joined collection changed: asked again, and probed
    run(command("update", "courses", updates=[]))
    run(ask)
    assert executor.ran == ["aggregate", "update", "aggregate", "probe", "update"]
    run(command("insert", "links", documents=[]))
    run(ask)
    assert executor.ran[-2:] == ["insert", "aggregate"]


@pytest.mark.emulator
def test_an_empty_join_still_depends_on_the_joined_collection_when_its_own_documents_match(run, executor):
    executor.base_documents = 1  # links from course 7 whose courses the join did not find
    ask = command("aggregate", "links", pipeline=PREREQUISITES, cursor={}, documents=0)
    for _ in range(3):
        run(ask)
        run(command("update", "courses", updates=[]))
    assert executor.ran == ["aggregate", "update", "aggregate", "probe", "update", "aggregate", "probe", "update"]


@pytest.mark.parametrize("pipeline", [
    [{"$match": {"from_id": 7}}, {"$unionWith": "courses"}],
    [{"$lookup": {"from": "courses", "localField": "to_id", "foreignField": "_id", "as": "from_id"}},
     {"$match": {"from_id": 7}}],
    [{"$lookup": {"from": "courses", "localField": "to_id", "foreignField": "_id", "as": "T3"}},
     {"$match": {"T3.code": "X", "$expr": {"$eq": ["$from_id", 7]}}}],
    [{"$addFields": {"from_id": 7}}, {"$lookup": {"from": "courses", "localField": "to_id", "foreignField": "_id",
                                                  "as": "T3"}}, {"$match": {"from_id": 7}}],
])
@pytest.mark.emulator
def test_joins_that_may_bring_documents_or_filter_on_joined_fields_are_not_probed(run, executor, pipeline):
    ask = command("aggregate", "links", pipeline=pipeline, cursor={}, documents=0)
    for _ in range(3):
        run(ask)
        run(command("update", "courses", updates=[]))
    assert "probe" not in executor.ran and executor.ran.count("aggregate") == 3


@pytest.mark.parametrize("name", ["commitTransaction", "abortTransaction", "renameCollection", "dropDatabase"])
@pytest.mark.emulator
def test_any_other_command_that_may_write_is_seen_everywhere(run, executor, name):
    run(command("find"))
    other_database = command(name, 1)
    other_database.db_name = "admin"
    run(other_database)
    run(command("find"))
    assert executor.ran == ["find", name, "find"]


@pytest.mark.emulator
def test_a_join_with_another_database_is_not_cached(run, executor):
    pipeline = [{"$lookup": {"from": {"db": "other", "coll": "terms"}, "localField": "t", "foreignField": "_id",
                             "as": "term"}}]
    run(command("aggregate", pipeline=pipeline, cursor={}))
    run(command("aggregate", pipeline=pipeline, cursor={}))
    assert executor.ran == ["aggregate", "aggregate"]


@pytest.mark.emulator
def test_the_oldest_answers_make_room(executor, monkeypatch):
    monkeypatch.setattr(query_cache, "MAX_CACHED_DOCUMENTS", 3)
    cache = QueryCache()
    cached = cache.wrap(executor.execute)
    for n in range(5):
        asyncio.run(cached(command("find", filter={"n": n})))
    assert cache.documents == 3 and len(cache.entries) == 3
    asyncio.run(cached(command("find", filter={"n": 0})))
    assert executor.ran.count("find") == 6


@pytest.mark.emulator
def test_harmless_commands_keep_the_answers(run, executor):
    run(command("find"))
    run(command("ping", 1))
    run(command("getMore", 12))
    run(command("find"))
    assert executor.ran == ["find", "ping", "getMore"]


@pytest.mark.emulator
def test_a_read_that_overlaps_a_write_is_not_stored(executor):
    cached = QueryCache().wrap(executor.execute)

    async def scenario():
        executor.during = lambda: cached(command("update", updates=[]))
        await cached(command("find"))
        await cached(command("find"))

    asyncio.run(scenario())
    assert executor.ran == ["find", "update", "find"]


@pytest.mark.emulator
def test_reads_in_a_transaction_are_not_cached(run, executor):
    run(command("find", transaction=True))
    run(command("find", transaction=True))
    assert executor.ran == ["find", "find"]


@pytest.mark.parametrize("pipeline", [
    [{"$project": {"at": "$$NOW"}}],
    [{"$addFields": {"r": {"$rand": {}}}}],
    [{"$sample": {"size": 1}}],
    [{"$match": {"$expr": {"$lt": ["$at", "$$NOW"]}}}],
])
@pytest.mark.emulator
def test_reads_that_depend_on_the_clock_or_chance_are_not_cached(run, executor, pipeline):
    run(command("aggregate", pipeline=pipeline, cursor={}))
    run(command("aggregate", pipeline=pipeline, cursor={}))
    assert executor.ran == ["aggregate", "aggregate"]


@pytest.mark.emulator
def test_djangos_count_pipeline_is_cached_although_it_mentions_the_clock(run, executor):
    # django-mongodb-backend's QuerySet.count(): $$NOW is added, then projected away.
    pipeline = [
        {"$group": {"_id": None, "__count": {"$sum": 1}}},
        {"$addFields": {"__now": "$$NOW"}},
        {"$unionWith": {"pipeline": [{"$documents": [{}]}]}},
        {"$limit": 1},
        {"$project": {"__count": {"$ifNull": ["$__count", {"$literal": 0}]}}},
    ]
    run(command("aggregate", pipeline=pipeline, cursor={}))
    run(command("aggregate", pipeline=pipeline, cursor={}))
    assert executor.ran == ["aggregate"]


@pytest.mark.emulator
def test_pipelines_that_write_count_as_writes(run, executor):
    run(command("find", "report"))
    run(command("aggregate", pipeline=[{"$out": "report"}], cursor={}))
    run(command("find", "report"))
    assert executor.ran == ["find", "aggregate", "find"]


@pytest.mark.emulator
def test_large_answers_are_not_kept(run, executor):
    run(command("find", documents=MAX_DOCUMENTS + 1))
    run(command("find", documents=MAX_DOCUMENTS + 1))
    assert executor.ran == ["find", "find"]


@pytest.mark.emulator
def test_the_embedded_server_answers_through_the_cache():
    server = make_server(":memory:", host="127.0.0.1", port=0, credentials=Credentials("user", "password"))
    assert server._executor._cached_execute.__qualname__.startswith(QueryCache.wrap.__qualname__)


# --- Over the wire: every write is seen by the next read ---------------------

_numbers = itertools.count()


@pytest.fixture
def database(new_database):
    return new_database(f"cache{next(_numbers)}")


def test_reads_see_inserts_updates_and_deletes(database):
    courses = database.courses
    courses.insert_one({"_id": 1, "seats": 1})
    reads = [
        lambda: list(courses.find({}, {"_id": 0})),
        lambda: list(courses.aggregate([{"$match": {}}, {"$project": {"_id": 0}}])),
        lambda: courses.count_documents({}),
        lambda: courses.distinct("seats"),
    ]
    assert [read() for read in reads] == [[{"seats": 1}], [{"seats": 1}], 1, [1]]
    courses.update_one({"_id": 1}, {"$inc": {"seats": 1}})
    assert [read() for read in reads] == [[{"seats": 2}], [{"seats": 2}], 1, [2]]
    courses.insert_one({"_id": 2, "seats": 5})
    assert [read() for read in reads] == [[{"seats": 2}, {"seats": 5}], [{"seats": 2}, {"seats": 5}], 2, [2, 5]]
    courses.find_one_and_update({"_id": 2}, {"$set": {"seats": 6}})
    assert reads[2]() == 2 and reads[3]() == [2, 6]
    courses.delete_many({})
    assert [read() for read in reads] == [[], [], 0, []]


def test_a_join_sees_a_change_to_the_joined_collection(database):
    database.terms.insert_one({"_id": 1, "name": "Fall"})
    database.courses.insert_one({"_id": 1, "term_id": 1})
    pipeline = [
        {"$lookup": {"from": "terms", "localField": "term_id", "foreignField": "_id", "as": "term"}},
        {"$unwind": "$term"},
        {"$project": {"name": "$term.name"}},
    ]
    assert list(database.courses.aggregate(pipeline)) == [{"_id": 1, "name": "Fall"}]
    database.terms.update_one({"_id": 1}, {"$set": {"name": "Spring"}})
    assert list(database.courses.aggregate(pipeline)) == [{"_id": 1, "name": "Spring"}]


def test_a_join_of_nothing_sees_what_is_linked_later(database):
    database.courses.insert_many([{"_id": 1, "code": "CS101"}, {"_id": 2, "code": "CS201"}])
    database.links.create_index("from_id")
    database.links.insert_one({"from_id": 2, "to_id": 1})
    pipeline = [
        {"$lookup": {"from": "courses", "localField": "to_id", "foreignField": "_id", "as": "T3"}},
        {"$unwind": "$T3"},
        {"$match": {"from_id": 1}},
        {"$project": {"_id": 0, "code": "$T3.code"}},
    ]
    for n in range(3):
        assert list(database.links.aggregate(pipeline)) == []
        database.courses.update_one({"_id": 1}, {"$set": {"seats": n}})
    database.courses.insert_one({"_id": 3, "code": "MATH100"})
    database.links.insert_one({"from_id": 1, "to_id": 3})
    assert list(database.links.aggregate(pipeline)) == [{"code": "MATH100"}]
    database.courses.update_one({"_id": 3}, {"$set": {"code": "MATH101"}})
    assert list(database.links.aggregate(pipeline)) == [{"code": "MATH101"}]


def test_a_dropped_or_renamed_collection_is_seen(database):
    database.courses.insert_one({"_id": 1})
    assert database.courses.count_documents({}) == 1
    database.courses.rename("archive")
    assert database.courses.count_documents({}) == 0
    assert database.archive.count_documents({}) == 1
    database.archive.drop()
    assert database.archive.count_documents({}) == 0


def test_the_clock_is_read_afresh(database):
    database.c.insert_one({})
    first = next(database.c.aggregate([{"$project": {"now": "$$NOW"}}]))["now"]
    time.sleep(0.01)
    assert next(database.c.aggregate([{"$project": {"now": "$$NOW"}}]))["now"] > first


def test_a_refused_read_is_refused_again(database):
    for _ in range(2):
        with pytest.raises(OperationFailure):
            list(database.c.aggregate([{"$nosuchstage": {}}]))
