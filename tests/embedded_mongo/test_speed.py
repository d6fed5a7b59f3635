"""Writes under unique indexes stay exact and take constant time.

:mod:`school.embedded_mongo.speed` replaces mongoeco's full-collection scans
in unique-key checks with indexed lookups. These tests talk over TCP, through
pymongo, to a real embedded server process and check that duplicates are
still refused exactly as real MongoDB refuses them (numbers equal across BSON
types, missing equal to null, sparse and partial indexes, compound keys,
arrays, updates), and that a bulk load no longer slows down with the size of
the collection. No Django settings are needed.
"""

import datetime
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import pymongo
import pytest
from bson import Decimal128, Int64, ObjectId
from pymongo.errors import BulkWriteError, DuplicateKeyError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    data_path = tmp_path_factory.mktemp("embedded_mongo_speed") / "db.sqlite3"
    state_path = data_path.with_name(data_path.name + ".json")
    process = subprocess.Popen(
        [sys.executable, "-m", "school.embedded_mongo", "serve", "--path", str(data_path), "--port", "0"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not state_path.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"embedded server did not start (exit code {process.poll()})")
            time.sleep(0.05)
        state = json.loads(state_path.read_text())
        with pymongo.MongoClient(
            f"mongodb://{state['host']}:{state['port']}/?directConnection=true"
        ) as mongo_client:
            yield mongo_client
    finally:
        process.terminate()
        process.wait(timeout=10)


_collection_numbers = itertools.count()


@pytest.fixture
def collection(client):
    return client.speed[f"c{next(_collection_numbers)}"]


def refused(collection, document) -> bool:
    """Insert ``document``; True when a duplicate key refused it."""
    try:
        collection.insert_one(document)
    except DuplicateKeyError as error:
        assert error.code == 11000
        return True
    return False


# --- duplicates are still refused exactly -----------------------------------


def test_numbers_are_equal_keys_across_bson_types(collection):
    collection.create_index("n", unique=True)
    collection.insert_one({"n": 1})
    assert refused(collection, {"n": 1.0})
    assert refused(collection, {"n": Int64(1)})
    assert refused(collection, {"n": Decimal128("1.00")})
    assert not refused(collection, {"n": 1.5})
    assert not refused(collection, {"n": True})  # a boolean is not a number
    assert not refused(collection, {"n": "1"})
    assert refused(collection, {"n": 1.5})


def test_missing_and_null_are_the_same_key(collection):
    collection.create_index("n", unique=True)
    collection.insert_one({"x": 1})
    assert refused(collection, {"x": 2})
    # mongoeco alone accepted this one: it looked null up only among nulls.
    assert refused(collection, {"n": None})
    other = collection.database[collection.name + "_null_first"]
    other.create_index("n", unique=True)
    other.insert_one({"n": None})
    assert refused(other, {"x": 1})


def test_sparse_and_partial_indexes_skip_what_they_do_not_index(collection):
    collection.create_index("s", unique=True, sparse=True)
    collection.create_index("p", unique=True, partialFilterExpression={"kind": "a"})
    collection.insert_many([{"x": 1}, {"x": 2}])  # no s: not in the sparse index
    collection.insert_one({"s": None})
    assert refused(collection, {"s": None})  # null is indexed by a sparse index
    collection.insert_many([{"p": 7}, {"p": 7, "kind": "b"}, {"p": 7, "kind": "a"}])
    assert refused(collection, {"p": 7.0, "kind": "a"})
    assert not refused(collection, {"p": 7, "kind": "c"})


def test_strings_object_ids_and_dates(collection):
    collection.create_index("email", unique=True)
    collection.create_index("ref", unique=True, sparse=True)
    collection.create_index("at", unique=True, sparse=True)
    reference = ObjectId()
    moment = datetime.datetime(2024, 5, 1, 12, 30)
    collection.insert_one({"email": "a@example.com", "ref": reference, "at": moment})
    assert refused(collection, {"email": "a@example.com"})
    assert not refused(collection, {"email": "A@example.com"})  # binary comparison
    assert refused(collection, {"email": "b@example.com", "ref": reference})
    assert not refused(collection, {"email": "c@example.com", "ref": str(reference)})
    assert refused(collection, {"email": "d@example.com", "at": moment.replace(tzinfo=datetime.UTC)})
    assert not refused(collection, {"email": "e@example.com", "at": moment + datetime.timedelta(milliseconds=1)})
    # A string that looks like an array is just a string.
    assert not refused(collection, {"email": "[1, 2]"})
    assert refused(collection, {"email": "[1, 2]"})


def test_compound_keys_on_object_ids(collection):
    # Django's UniqueConstraint(fields=["student", "course"]).
    collection.create_index([("student", 1), ("course", 1)], unique=True)
    student, course, other_course = ObjectId(), ObjectId(), ObjectId()
    collection.insert_one({"student": student, "course": course})
    assert refused(collection, {"student": student, "course": course})
    assert not refused(collection, {"student": student, "course": other_course})
    assert not refused(collection, {"student": ObjectId(), "course": course})
    assert not refused(collection, {"student": student})  # (student, null)
    assert refused(collection, {"student": student, "course": None})


def test_arrays_give_one_key_per_element(collection):
    collection.create_index("tags", unique=True)
    collection.insert_one({"tags": ["a", "b"]})
    assert refused(collection, {"tags": "b"})
    assert refused(collection, {"tags": ["c", "a"]})
    assert not refused(collection, {"tags": ["c", "c"]})  # one document, one key
    assert collection.count_documents({"tags": "c"}) == 1
    assert {document["tags"][0] for document in collection.find({"tags": {"$gte": "b"}})} == {"a", "c"}


def test_updates_that_would_duplicate_a_key_are_refused(collection):
    collection.create_index("n", unique=True)
    collection.create_index([("a", 1), ("b", 1)], unique=True)
    collection.insert_many([{"_id": 1, "n": 1, "a": "x", "b": 1}, {"_id": 2, "n": 2, "a": "x", "b": 2}])
    for update in ({"$set": {"n": 1}}, {"$set": {"n": 1.0}}, {"$inc": {"n": -1}}, {"$inc": {"b": -1}}):
        with pytest.raises(DuplicateKeyError) as duplicate:
            collection.update_one({"_id": 2}, update)
        assert duplicate.value.code == 11000
    # Rewriting a document's own key is not a duplicate.
    assert collection.update_one({"_id": 2}, {"$set": {"n": 2.0, "b": 2}}).matched_count == 1
    collection.update_many({}, {"$inc": {"n": 10}})
    assert sorted(document["n"] for document in collection.find()) == [11, 12]
    collection.update_one({"_id": 1}, {"$unset": {"n": ""}})
    with pytest.raises(DuplicateKeyError):
        collection.update_one({"_id": 2}, {"$unset": {"n": ""}})  # two missing keys


def test_duplicate_ids(collection):
    identifier = ObjectId()
    collection.insert_one({"_id": identifier})
    assert refused(collection, {"_id": identifier})
    collection.insert_one({"_id": 1})
    assert refused(collection, {"_id": 1.0})
    assert refused(collection, {"_id": Int64(1)})
    collection.insert_one({"_id": "1"})
    assert refused(collection, {"_id": "1"})
    with pytest.raises(BulkWriteError) as failure:
        collection.insert_many([{"_id": 5}, {"_id": 5.0}, {"_id": 6}])
    assert failure.value.details["nInserted"] == 1
    assert failure.value.details["writeErrors"][0]["code"] == 11000


def test_error_reports_the_index_and_key(collection):
    collection.create_index("email", unique=True)
    collection.insert_one({"email": "a@example.com"})
    with pytest.raises(DuplicateKeyError) as duplicate:
        collection.insert_one({"email": "a@example.com"})
    assert duplicate.value.details["keyPattern"] == {"email": 1}
    assert duplicate.value.details["keyValue"] == {"email": "a@example.com"}


# --- speed ------------------------------------------------------------------

BULK_DOCUMENTS = 1500
# mongoeco alone takes 90 s or more for this load (each write re-read the
# whole collection); with the lookups it takes 5 to 15 s, depending on the
# machine's load. The bound leaves room for a busy machine.
BULK_LOAD_SECONDS = 45


def test_bulk_load_under_unique_indexes_takes_constant_time_per_document(collection):
    collection.create_index("email", unique=True)
    collection.create_index("num", unique=True)
    collection.create_index([("student", 1), ("course", 1)], unique=True)
    students = [ObjectId() for _ in range(30)]
    started = time.monotonic()
    collection.insert_many(
        [
            {"email": f"user{n}@example.com", "num": n, "student": students[n % 30], "course": ObjectId()}
            for n in range(BULK_DOCUMENTS)
        ]
    )
    for n in range(50):
        collection.update_one({"num": n}, {"$inc": {"num": 10 * BULK_DOCUMENTS}})
    elapsed = time.monotonic() - started
    assert collection.count_documents({}) == BULK_DOCUMENTS
    assert refused(collection, {"email": "user1@example.com"})
    assert refused(collection, {"num": float(BULK_DOCUMENTS - 1)})
    assert elapsed < BULK_LOAD_SECONDS, f"{BULK_DOCUMENTS} inserts took {elapsed:.1f} s"
