"""Repeated reads come from memory, and never a stale answer.

The first tests (``emulator``) drive :class:`embedded_mongodb.query_cache.QueryCache`
directly with a stand-in for mongoeco's executor, to show what it reuses and
when it must not. The rest talk pymongo over TCP to a server (an embedded
server process, which has the cache, or a real MongoDB) and check that every
kind of write is seen by the next read, as on real MongoDB.
"""

import asyncio
import datetime
import itertools
import json
import time
from types import SimpleNamespace

import bson
import pytest
from bson import Decimal128, Int64, ObjectId
from bson.raw_bson import RawBSONDocument
from mongoeco.wire import bson_bridge
from mongoeco.wire.executor import WireCommandExecutor
from pymongo.errors import OperationFailure

from embedded_mongodb import document_writes, query_cache
from embedded_mongodb.credentials import Credentials
from embedded_mongodb.document_writes import DocumentWrite
from embedded_mongodb.query_cache import MAX_DOCUMENTS, QueryCache
from embedded_mongodb.server import make_server


class FakeExecutor:
    """Answers every command with a fresh cursor and counts what it ran.

    As the engine does, a command that writes documents reports them to the
    cache: those its ``written`` lists (storage key, payload before, payload
    after, as JSON), or else one of unknown key in its collection; a read
    reports the joins its ``joined`` names (collection: storage keys)."""

    def __init__(self):
        self.ran = []
        self.during = None
        self.cache = None

    async def execute(self, context):
        self.ran.append(context.command_name)
        if self.during is not None:
            during, self.during = self.during, None
            await during()
        body = context.command_document
        for name, keys in body.get("joined", {}).items():
            query_cache.record_join(name, keys)
        if context.command_name in query_cache.DOCUMENT_WRITES:
            for key, before, after in body.get("written", [(None, None, None)]):
                self.cache.document_written(DocumentWrite(context.db_name, body[context.command_name], key,
                                                          before and json.dumps(before), after and json.dumps(after),
                                                          json.loads))
        if context.command_name in ("find", "aggregate"):
            batch = [{"n": len(self.ran)}] * body.get("documents", 1)
            return {"cursor": {"id": 0, "ns": "db.c", "firstBatch": batch}, "ok": 1}
        return {"n": 1, "ok": 1}


def command(name, target="courses", *, transaction=False, **fields):
    body = {name: target, **fields}
    raw = {**body, "lsid": {"id": 1}, **({"txnNumber": 1} if transaction else {})}
    return SimpleNamespace(db_name="school", command_name=name, command_document=body, raw_body=raw)


def written(*documents, key="k1", target="enrollments"):
    """An update of the document ``key`` from the first image to the second (None: absent)."""
    return command("update", target, updates=[], written=[(key, *documents)])


@pytest.fixture
def executor():
    return FakeExecutor()


@pytest.fixture
def cache(executor):
    executor.cache = QueryCache()
    return executor.cache


@pytest.fixture
def run(executor, cache):
    cached = cache.wrap(executor.execute)
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
    assert [dict(document) for document in run(command("find"))["cursor"]["firstBatch"]] == [{"n": 1}]


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
    {"$match": {"from_id": "c7", "T3.code": {"$ne": None}}},
    {"$sort": {"T3.code": 1}},
]


@pytest.mark.emulator
def test_an_answer_that_joined_nothing_does_not_depend_on_the_joined_collection(run, executor):
    """A course without prerequisites: no link from it, so what the joined
    courses hold cannot change the (empty) answer; a link from it can."""
    ask = command("aggregate", "links", pipeline=PREREQUISITES, cursor={}, documents=0, joined={"courses": []})
    run(ask)
    run(written({"code": "CS101"}, {"code": "CS102"}, target="courses"))
    run(written({"from_id": "c8"}, {"from_id": "c8", "to_id": "c1"}, target="links"))
    run(ask)
    assert executor.ran == ["aggregate", "update", "update"]
    run(written(None, {"from_id": "c7", "to_id": "c1"}, target="links"))
    run(ask)
    assert executor.ran[-2:] == ["update", "aggregate"]


@pytest.mark.emulator
def test_an_answer_depends_on_the_joined_documents_it_looked_up_found_or_not(run, executor):
    ask = command("aggregate", "links", pipeline=PREREQUISITES, cursor={}, joined={"courses": ["c1", "c404"]})
    run(ask)
    run(written({"code": "CS200"}, {"code": "CS201"}, key="c2", target="courses"))
    run(ask)
    assert executor.ran == ["aggregate", "update"]
    for key in ("c1", "c404"):
        run(written(None, {"code": "NEW"}, key=key, target="courses"))
        run(ask)
    assert executor.ran[2:] == ["update", "aggregate", "update", "aggregate"]


@pytest.mark.emulator
def test_a_join_read_whole_makes_the_answer_depend_on_every_joined_document(run, executor):
    ask = command("aggregate", "links", pipeline=PREREQUISITES, cursor={}, joined={"courses": query_cache.ALL})
    run(ask)
    run(written({"code": "CS200"}, {"code": "CS201"}, key="c2", target="courses"))
    run(ask)
    assert executor.ran == ["aggregate", "update", "aggregate"]


@pytest.mark.emulator
def test_a_join_the_engine_did_not_report_counts_as_read_whole(run, executor):
    run(command("aggregate", "links", pipeline=PREREQUISITES, cursor={}))
    run(written({"code": "CS200"}, {"code": "CS201"}, key="c2", target="courses"))
    run(command("aggregate", "links", pipeline=PREREQUISITES, cursor={}))
    assert executor.ran == ["aggregate", "update", "aggregate"]


STUDENT_ROWS = [{"$match": {"student_id": "s1"}}, {"$sort": {"created_at": -1}}]


@pytest.mark.parametrize(("before", "after", "forgotten"), [
    ({"student_id": "s2", "grade": "A"}, {"student_id": "s2", "grade": "B"}, False),
    (None, {"student_id": "s2"}, False),
    ({"student_id": "s2"}, None, False),
    ({"grade": "A"}, {"grade": "B"}, False),
    ({"student_id": "s1", "grade": "A"}, {"student_id": "s1", "grade": "B"}, True),
    (None, {"student_id": "s1"}, True),
    ({"student_id": "s1"}, None, True),
    ({"student_id": "s1"}, {"student_id": "s2"}, True),
    ({"student_id": "s2"}, {"student_id": "s1"}, True),
    ({"student_id": "s2"}, {"student_id": ["s3", "s1"]}, True),
    ({"student_id": "s2"}, {"student_id": {"id": "s1"}}, False),
])
@pytest.mark.emulator
def test_a_written_document_forgets_the_answers_whose_conditions_it_met_before_or_after(
        run, executor, before, after, forgotten):
    ask = command("aggregate", "enrollments", pipeline=STUDENT_ROWS, cursor={})
    run(ask)
    run(written(before, after))
    run(ask)
    assert executor.ran == ["aggregate", "update", *(["aggregate"] if forgotten else [])]


WAITLIST = [{"$match": {"$and": [{"course_id": {"$in": ["c1", "c2"]}}, {"status": "waitlisted"}]}}]


@pytest.mark.parametrize(("document", "forgotten"), [
    ({"course_id": "c3", "status": "waitlisted"}, False),
    ({"course_id": "c1", "status": "enrolled"}, False),
    ({"course_id": "c2", "status": "waitlisted"}, True),
])
@pytest.mark.emulator
def test_every_condition_of_the_filter_is_checked_not_only_the_one_it_is_found_by(run, executor, document, forgotten):
    ask = command("aggregate", "enrollments", pipeline=WAITLIST, cursor={})
    run(ask)
    run(written(None, document))
    run(ask)
    assert executor.ran == ["aggregate", "update", *(["aggregate"] if forgotten else [])]


@pytest.mark.parametrize("ask", [
    command("find", "enrollments", filter={"grade": {"$gt": "B"}}),
    command("count", "enrollments", query={"student_id": {"$in": ["s1", "s9"]}}),
    command("distinct", "enrollments", key="grade", query={"student_id": "s1"}),
])
@pytest.mark.emulator
def test_the_filters_of_find_count_and_distinct_are_checked_too(run, executor, ask):
    run(ask)
    run(written({"student_id": "s2", "grade": "A"}, {"student_id": "s2", "grade": "A+"}))
    run(ask)
    run(written({"student_id": "s1", "grade": "C"}, {"student_id": "s1", "grade": "D"}))
    run(ask)
    assert executor.ran == [ask.command_name, "update", "update", ask.command_name]


@pytest.mark.parametrize("ask", [
    command("aggregate", "enrollments", cursor={}, pipeline=[{"$match": {"$expr": {"$eq": ["$student_id", "s1"]}}}]),
    command("aggregate", "enrollments", cursor={}, pipeline=[{"$limit": 5}, {"$match": {"student_id": "s1"}}]),
    command("aggregate", "enrollments", cursor={}, pipeline=[{"$match": {"$or": [{"student_id": "s1"}]}}]),
    command("aggregate", "enrollments", cursor={}, pipeline=[{"$match": {"student_id": "s1"}}, {"$unionWith": "old"}]),
    command("aggregate", "enrollments", cursor={}, pipeline=[
        {"$lookup": {"from": "courses", "localField": "course_id", "foreignField": "_id", "as": "student_id"}},
        {"$match": {"student_id": "s1"}}]),
    command("aggregate", "enrollments", cursor={}, pipeline=[{"$match": {"student_id": "s1"}}],
            collation={"locale": "fr"}),
    command("find", "enrollments", filter={}),
])
@pytest.mark.emulator
def test_an_answer_without_conditions_on_its_own_fields_depends_on_every_document(run, executor, ask):
    run(ask)
    run(written({"student_id": "s2"}, {"student_id": "s3"}))
    run(ask)
    assert executor.ran.count(ask.command_name) == 2


@pytest.mark.emulator
def test_a_self_join_depends_on_every_document_of_its_collection(run, executor):
    pipeline = [{"$match": {"student_id": "s1"}},
                {"$lookup": {"from": "enrollments", "localField": "swap_for_id", "foreignField": "_id", "as": "s"}}]
    ask = command("aggregate", "enrollments", pipeline=pipeline, cursor={}, joined={"enrollments": ["e9"]})
    run(ask)
    run(written({"student_id": "s2"}, {"student_id": "s3"}))
    run(ask)
    assert executor.ran == ["aggregate", "update", "aggregate"]


@pytest.mark.emulator
def test_a_write_of_unknown_documents_forgets_every_answer_about_its_collection(run, executor):
    run(command("aggregate", "enrollments", pipeline=STUDENT_ROWS, cursor={}))
    run(command("find", "courses"))
    run(command("delete", "enrollments", deletes=[]))
    run(command("aggregate", "enrollments", pipeline=STUDENT_ROWS, cursor={}))
    run(command("find", "courses"))
    assert executor.ran == ["aggregate", "find", "delete", "aggregate"]


@pytest.mark.emulator
def test_a_write_of_unknown_reach_forgets_every_answer(run, executor, cache):
    run(command("aggregate", "enrollments", pipeline=STUDENT_ROWS, cursor={}))
    run(command("find", "courses"))
    cache.document_written(document_writes.EVERYWHERE)
    run(command("aggregate", "enrollments", pipeline=STUDENT_ROWS, cursor={}))
    run(command("find", "courses"))
    assert executor.ran == ["aggregate", "find", "aggregate", "find"]


@pytest.mark.parametrize("name", ["createIndexes", "drop", "collMod"])
@pytest.mark.emulator
def test_a_collection_command_forgets_the_answers_that_depend_on_some_of_its_documents(run, executor, name):
    run(command("aggregate", "enrollments", pipeline=STUDENT_ROWS, cursor={}))
    run(command(name, "enrollments"))
    run(command("aggregate", "enrollments", pipeline=STUDENT_ROWS, cursor={}))
    assert executor.ran == ["aggregate", name, "aggregate"]


@pytest.mark.emulator
def test_a_read_during_which_a_document_is_written_is_not_stored(executor, cache):
    cached = cache.wrap(executor.execute)

    async def write():
        cache.document_written(DocumentWrite("school", "enrollments", "k1", None, json.dumps({"x": 1}), json.loads))

    async def scenario():
        executor.during = write
        await cached(command("aggregate", "enrollments", pipeline=STUDENT_ROWS, cursor={}))
        await cached(command("aggregate", "enrollments", pipeline=STUDENT_ROWS, cursor={}))

    asyncio.run(scenario())
    assert executor.ran == ["aggregate", "aggregate"]


@pytest.mark.emulator
def test_forgotten_answers_leave_nothing_behind_in_the_indexes(run, executor, cache):
    join = {"$lookup": {"from": "courses", "localField": "course_id", "foreignField": "_id", "as": "course"}}
    for student in ("s1", "s2"):
        run(command("aggregate", "enrollments", pipeline=[{"$match": {"student_id": student}}, join], cursor={},
                    joined={"courses": ["c1"]}))
    run(written(None, {"code": "X"}, key="c1", target="courses"))
    assert not cache.entries and cache.documents == 0
    assert not cache.watches


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
def test_the_oldest_answers_make_room(executor, cache, monkeypatch):
    monkeypatch.setattr(query_cache, "MAX_CACHED_DOCUMENTS", 3)
    cached = cache.wrap(executor.execute)
    for n in range(5):
        asyncio.run(cached(command("find", filter={"n": n})))
    assert cache.documents == 3 and len(cache.entries) == 3
    asyncio.run(cached(command("find", filter={"n": 0})))
    assert executor.ran.count("find") == 6


@pytest.mark.emulator
def test_empty_answers_make_room_too(executor, cache, monkeypatch):
    monkeypatch.setattr(query_cache, "MAX_CACHED_DOCUMENTS", 3)
    cached = cache.wrap(executor.execute)
    for n in range(5):
        asyncio.run(cached(command("find", filter={"session_key": f"unknown-{n}"}, documents=0)))
    assert len(cache.entries) == 3


@pytest.mark.emulator
def test_an_answer_that_joined_many_documents_depends_on_the_whole_joined_collection(run, executor, monkeypatch):
    monkeypatch.setattr(query_cache, "MAX_JOINED_KEYS", 3)
    ask = command("aggregate", "links", pipeline=PREREQUISITES, cursor={}, joined={"courses": ["c1", "c2", "c3"]})
    many = command("aggregate", "links", pipeline=PREREQUISITES[:2], cursor={},
                   joined={"courses": ["c1", "c2", "c3", "c4"]})
    run(ask)
    run(many)
    run(written({"code": "X"}, {"code": "Y"}, key="c9", target="courses"))
    run(ask)
    run(many)
    assert executor.ran == ["aggregate", "aggregate", "update", "aggregate"]


@pytest.mark.emulator
def test_past_a_number_of_answers_without_an_equality_more_depend_on_the_whole_collection(run, executor, monkeypatch):
    monkeypatch.setattr(query_cache, "MAX_UNPINNED", 1)
    first = command("find", "enrollments", filter={"grade": {"$gt": "B"}})
    second = command("find", "enrollments", filter={"grade": {"$lt": "B"}})
    run(first)
    run(second)
    run(written({"grade": "B"}, {"grade": "B", "note": "x"}))
    run(first)
    run(second)
    assert executor.ran == ["find", "find", "update", "find"]


@pytest.mark.parametrize(("condition", "document", "forgotten"), [
    (3, {"credits": 3.0}, True),
    (3, {"credits": 4}, False),
    ({"$in": [2, 3]}, {"credits": bson.Int64(2)}, True),
    (True, {"credits": 1}, False),
    (True, {"credits": True}, True),
])
@pytest.mark.emulator
def test_numbers_and_booleans_single_out_the_answers_as_mongodb_compares_them(
        run, executor, condition, document, forgotten):
    ask = command("find", "courses", filter={"credits": condition})
    run(ask)
    run(written(None, document, target="courses"))
    run(ask)
    assert executor.ran.count("find") == (2 if forgotten else 1)


@pytest.mark.emulator
def test_the_equality_that_singles_out_fewest_documents_indexes_the_answer(cache):
    student = ObjectId()
    conditions = query_cache._own_conditions(command("find", "enrollments", filter={
        "status": "enrolled", "credits": 3, "student_id": student}))
    assert conditions.pin == ("student_id", frozenset({query_cache._equality_key(student)}))


@pytest.mark.emulator
def test_an_explain_is_not_kept(run, executor):
    run(command("aggregate", "enrollments", pipeline=STUDENT_ROWS, cursor={}, explain=True))
    run(command("aggregate", "enrollments", pipeline=STUDENT_ROWS, cursor={}, explain=True))
    assert executor.ran == ["aggregate", "aggregate"]


@pytest.mark.emulator
def test_harmless_commands_keep_the_answers(run, executor):
    run(command("find"))
    run(command("ping", 1))
    run(command("getMore", 12))
    run(command("find"))
    assert executor.ran == ["find", "ping", "getMore"]


@pytest.mark.emulator
def test_a_read_that_overlaps_a_write_is_not_stored(executor, cache):
    cached = cache.wrap(executor.execute)

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


def test_a_repeated_answer_is_the_same_to_the_byte(database):
    """The cache sends a repeated answer's documents as it encoded them the
    first time: every type, and the order of the fields, "_id" included."""
    database.c.insert_one({
        "_id": ObjectId(), "text": "café", "whole": Int64(2**40), "small": 7, "real": 2.5,
        "decimal": Decimal128("3.10"), "at": datetime.datetime(2026, 11, 30, 9, 15, 0, 123000),
        "flag": True, "nothing": None, "bytes": bson.Binary(b"\x00\x01"), "list": [1, "two", {"three": 3}],
        "nested": {"z": 1, "a": {"deep": [Int64(1)]}},
    })
    raw = database.c.with_options(
        codec_options=database.codec_options.with_options(document_class=RawBSONDocument)
    )
    pipeline = [{"$replaceRoot": {"newRoot": {"text": "$text", "_id": "$_id", "all": "$$ROOT"}}}]
    first, second = (list(raw.aggregate(pipeline)) for _ in range(2))
    assert [document.raw for document in second] == [document.raw for document in first]
    assert list(bson.decode(first[0].raw)) == ["text", "_id", "all"]


def test_a_refused_read_is_refused_again(database):
    for _ in range(2):
        with pytest.raises(OperationFailure):
            list(database.c.aggregate([{"$nosuchstage": {}}]))


def _school(database):
    """Two students' enrollments, their courses and terms, keyed by ObjectId as Django keys them."""
    term, other_term = ObjectId(), ObjectId()
    database.terms.insert_many([{"_id": term, "name": "Fall"}, {"_id": other_term, "name": "Spring"}])
    courses = [ObjectId() for _ in range(3)]
    database.courses.insert_many([{"_id": course, "code": f"C{n}", "term_id": term, "taken": 0}
                                  for n, course in enumerate(courses)])
    students = [ObjectId(), ObjectId()]
    database.enrollments.insert_many([
        {"_id": ObjectId(), "student_id": students[0], "course_id": courses[0], "status": "enrolled"},
        {"_id": ObjectId(), "student_id": students[1], "course_id": courses[1], "status": "waitlisted"},
    ])
    return SimpleNamespace(term=term, other_term=other_term, courses=courses, students=students)


def _student_rows(database, student):
    # What select_related("course__term") asks, as django-mongodb-backend asks it.
    return [(row["code"], row["term"], row["status"]) for row in database.enrollments.aggregate([
        {"$lookup": {"from": "courses", "pipeline": [], "as": "course", "localField": "course_id",
                     "foreignField": "_id"}},
        {"$unwind": "$course"},
        {"$lookup": {"from": "terms", "pipeline": [], "as": "term", "localField": "course.term_id",
                     "foreignField": "_id"}},
        {"$unwind": "$term"},
        {"$match": {"student_id": student}},
        {"$project": {"_id": 0, "code": "$course.code", "term": "$term.name", "status": 1}},
        {"$sort": {"code": 1}},
    ])]


def _waitlist(database, course):
    return [row["student_id"] for row in database.enrollments.aggregate([
        {"$match": {"$and": [{"course_id": {"$in": [course]}}, {"status": "waitlisted"}]}},
        {"$project": {"_id": 0, "student_id": 1}},
    ])]


def test_answers_that_depend_on_some_documents_see_every_write_to_them(database):
    school = _school(database)
    student, other = school.students
    assert _student_rows(database, student) == [("C0", "Fall", "enrolled")]
    assert _waitlist(database, school.courses[1]) == [other]
    database.enrollments.insert_one({"student_id": student, "course_id": school.courses[2], "status": "waitlisted"})
    assert _student_rows(database, student) == [("C0", "Fall", "enrolled"), ("C2", "Fall", "waitlisted")]
    database.courses.update_one({"_id": school.courses[0]}, {"$set": {"code": "C0-renamed"}})
    assert _student_rows(database, student)[0] == ("C0-renamed", "Fall", "enrolled")
    database.terms.update_one({"_id": school.term}, {"$set": {"name": "Autumn"}})
    assert {term for _, term, _ in _student_rows(database, student)} == {"Autumn"}
    database.courses.update_one({"_id": school.courses[2]}, {"$set": {"term_id": school.other_term}})
    assert _student_rows(database, student)[-1] == ("C2", "Spring", "waitlisted")
    database.enrollments.update_many({"course_id": school.courses[1]}, {"$set": {"status": "enrolled"}})
    assert _waitlist(database, school.courses[1]) == []
    database.enrollments.replace_one({"student_id": other}, {"student_id": other, "course_id": school.courses[1],
                                                             "status": "waitlisted"})
    assert _waitlist(database, school.courses[1]) == [other]
    database.enrollments.find_one_and_update({"student_id": other}, {"$set": {"student_id": student}})
    assert _waitlist(database, school.courses[1]) == [student]
    assert len(_student_rows(database, student)) == 3
    database.enrollments.delete_many({"student_id": student, "status": "waitlisted"})
    assert _student_rows(database, student) == [("C0-renamed", "Autumn", "enrolled")]
    assert _waitlist(database, school.courses[1]) == []
    database.courses.delete_one({"_id": school.courses[0]})
    assert _student_rows(database, student) == []


@pytest.mark.emulator
def test_writes_that_reach_no_answer_keep_the_answers(in_process, count_calls):
    """The registration-day case: other students' enrollments and other
    courses' seat counts do not make a student's page read its rows again."""
    database = in_process.cache_reach
    school = _school(database)
    student, other = school.students
    reads = [lambda: _student_rows(database, student), lambda: _waitlist(database, school.courses[1])]
    answers = [read() for read in reads]
    executed = count_calls(WireCommandExecutor, "execute_prepared")
    database.enrollments.insert_one({"student_id": other, "course_id": school.courses[2], "status": "enrolled"})
    database.courses.update_one({"_id": school.courses[2]}, {"$inc": {"taken": 1}})
    database.enrollments.insert_one({"student_id": ObjectId(), "course_id": school.courses[0], "status": "enrolled"})
    database.enrollments.update_one({"student_id": other, "course_id": school.courses[2]},
                                    {"$set": {"status": "dropped"}})
    writes = len(executed)
    assert [read() for read in reads] == answers
    assert len(executed) == writes
    database.courses.update_one({"_id": school.courses[0]}, {"$inc": {"taken": 1}})
    database.enrollments.insert_one({"student_id": ObjectId(), "course_id": school.courses[1], "status": "waitlisted"})
    assert reads[0]() == answers[0] and len(reads[1]()) == 2
    assert len(executed) == writes + 2 + 2


@pytest.mark.emulator
def test_a_repeated_answer_is_sent_without_converting_its_documents_again(in_process, count_calls):
    """mongoeco converts a reply to bson's types value by value: a cached
    answer keeps its documents encoded, so sending it again costs per document,
    not per value."""
    collection = in_process.cache_encoding.rows
    collection.insert_many([{f"field{n}": [n, str(n)] for n in range(10)} for _ in range(50)])
    assert len(list(collection.find())) == 50
    converted = count_calls(bson_bridge, "encode_wire_value")
    assert len(list(collection.find())) == 50
    assert len(converted) < 100


def test_conditions_on_dates_numbers_and_nested_fields_are_checked_as_the_server_checks_them(database):
    student = ObjectId()
    rows = database.enrollments
    since = datetime.datetime(2026, 9, 1)
    rows.insert_one({"student_id": student, "at": datetime.datetime(2026, 8, 1), "credits": Int64(3),
                     "grade": {"points": Decimal128("3.5")}})

    def recent():
        return rows.count_documents({"student_id": student, "at": {"$gte": since}, "credits": {"$gte": 2.5},
                                     "grade.points": {"$gt": 3}})

    assert recent() == 0
    rows.update_one({"student_id": student}, {"$set": {"at": datetime.datetime(2026, 9, 2)}})
    assert recent() == 1
    rows.update_one({"student_id": student}, {"$set": {"credits": 2}})
    assert recent() == 0
    rows.update_one({"student_id": student}, {"$set": {"credits": Decimal128("2.75")}})
    assert recent() == 1
    rows.update_one({"student_id": student}, {"$set": {"grade.points": 3.0}})
    assert recent() == 0
    rows.insert_one({"student_id": [ObjectId(), student], "at": since, "credits": 4.0, "grade": {"points": 4}})
    assert recent() == 1
