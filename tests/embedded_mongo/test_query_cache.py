"""Repeated reads come from memory, and never a stale answer.

The first tests drive :class:`school.embedded_mongo.query_cache.QueryCache`
directly with a stand-in for mongoeco's executor, to show what it reuses and
when it must not. The rest talk over TCP, through pymongo, to a real embedded
server process (which has the cache) and check that every kind of write is
seen by the next read, as on real MongoDB.
"""

import asyncio
import itertools
import time
from types import SimpleNamespace

import pytest
from pymongo.errors import OperationFailure

from school.embedded_mongo import compat, query_cache
from school.embedded_mongo.query_cache import MAX_DOCUMENTS, QueryCache


class FakeExecutor:
    """Answers every command with a fresh cursor and counts what it ran."""

    def __init__(self):
        self.ran = []
        self.during = None

    async def execute(self, context):
        self.ran.append(context.command_name)
        if self.during is not None:
            during, self.during = self.during, None
            await during()
        if context.command_name in ("find", "aggregate"):
            batch = [{"n": len(self.ran)}] * context.command_document.get("documents", 1)
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


def test_a_repeated_read_is_answered_without_running_it(run, executor):
    first = run(command("find", filter={"code": "ART101"}))
    second = run(command("find", filter={"code": "ART101"}))
    assert second == first
    assert executor.ran == ["find"]


def test_the_caller_cannot_change_the_stored_answer(run, executor):
    run(command("find"))["cursor"]["firstBatch"].clear()
    assert run(command("find"))["cursor"]["firstBatch"] == [{"n": 1}]


def test_a_different_question_is_run(run, executor):
    run(command("find", filter={"n": 1}))
    run(command("find", filter={"n": 1.0}))
    run(command("find", filter={"n": "1"}))
    run(command("find", sort={"a": 1, "b": 1}))
    run(command("find", sort={"b": 1, "a": 1}))
    assert len(executor.ran) == 5


def test_a_write_to_the_collection_is_seen_by_the_next_read(run, executor):
    run(command("find"))
    run(command("update", updates=[]))
    run(command("find"))
    assert executor.ran == ["find", "update", "find"]


def test_a_write_to_another_collection_keeps_the_answer(run, executor):
    run(command("find"))
    run(command("insert", "users", documents=[]))
    run(command("find"))
    assert executor.ran == ["find", "insert"]


def test_a_write_to_a_joined_collection_is_seen(run, executor):
    pipeline = [{"$lookup": {"from": "terms", "localField": "term_id", "foreignField": "_id", "as": "term"}}]
    run(command("aggregate", pipeline=pipeline, cursor={}))
    run(command("delete", "terms", deletes=[]))
    run(command("aggregate", pipeline=pipeline, cursor={}))
    assert executor.ran == ["aggregate", "delete", "aggregate"]


@pytest.mark.parametrize("name", ["commitTransaction", "abortTransaction", "renameCollection", "dropDatabase"])
def test_any_other_command_that_may_write_is_seen_everywhere(run, executor, name):
    run(command("find"))
    other_database = command(name, 1)
    other_database.db_name = "admin"
    run(other_database)
    run(command("find"))
    assert executor.ran == ["find", name, "find"]


def test_a_join_with_another_database_is_not_cached(run, executor):
    pipeline = [{"$lookup": {"from": {"db": "other", "coll": "terms"}, "localField": "t", "foreignField": "_id",
                             "as": "term"}}]
    run(command("aggregate", pipeline=pipeline, cursor={}))
    run(command("aggregate", pipeline=pipeline, cursor={}))
    assert executor.ran == ["aggregate", "aggregate"]


def test_the_oldest_answers_make_room(executor, monkeypatch):
    monkeypatch.setattr(query_cache, "MAX_CACHED_DOCUMENTS", 3)
    cache = QueryCache()
    cached = cache.wrap(executor.execute)
    for n in range(5):
        asyncio.run(cached(command("find", filter={"n": n})))
    assert cache.documents == 3 and len(cache.entries) == 3
    asyncio.run(cached(command("find", filter={"n": 0})))
    assert executor.ran.count("find") == 6


def test_harmless_commands_keep_the_answers(run, executor):
    run(command("find"))
    run(command("ping", 1))
    run(command("getMore", 12))
    run(command("find"))
    assert executor.ran == ["find", "ping", "getMore"]


def test_a_read_that_overlaps_a_write_is_not_stored(executor):
    cached = QueryCache().wrap(executor.execute)

    async def scenario():
        executor.during = lambda: cached(command("update", updates=[]))
        await cached(command("find"))
        await cached(command("find"))

    asyncio.run(scenario())
    assert executor.ran == ["find", "update", "find"]


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
def test_reads_that_depend_on_the_clock_or_chance_are_not_cached(run, executor, pipeline):
    run(command("aggregate", pipeline=pipeline, cursor={}))
    run(command("aggregate", pipeline=pipeline, cursor={}))
    assert executor.ran == ["aggregate", "aggregate"]


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


def test_pipelines_that_write_count_as_writes(run, executor):
    run(command("find", "report"))
    run(command("aggregate", pipeline=[{"$out": "report"}], cursor={}))
    run(command("find", "report"))
    assert executor.ran == ["find", "aggregate", "find"]


def test_large_answers_are_not_kept(run, executor):
    run(command("find", documents=MAX_DOCUMENTS + 1))
    run(command("find", documents=MAX_DOCUMENTS + 1))
    assert executor.ran == ["find", "find"]


def test_the_embedded_server_answers_through_the_cache():
    server = compat.make_server(":memory:", host="127.0.0.1", port=0)
    assert server._executor.execute_prepared.__qualname__.startswith(QueryCache.wrap.__qualname__)


# --- Over the wire: every write is seen by the next read ---------------------

_numbers = itertools.count()


@pytest.fixture
def database(client):
    return client[f"cache_{next(_numbers)}"]


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
