"""Sorted pages, in MongoDB's order, read in index order by the embedded server.

:mod:`embedded_mongodb.sorting` lets SQLite walk an index for a page sorted
on a date or a string (then ``_id``). The unmarked tests assert MongoDB's
order, ties and types included, and run against a real MongoDB too; the
``emulator`` tests count the SQLite instructions a page costs after a write.
"""

import datetime

import pytest
from bson import ObjectId


def page(collection, sort: dict, limit: int, match: dict | None = None) -> list:
    """A page as Django asks for it: each sort field set to itself, then $sort and $limit."""
    pipeline = [{"$match": match}] if match else []
    fields = {"$addFields": {name: f"${name}" for name in sort}}
    return list(collection.aggregate([*pipeline, fields, {"$sort": sort}, {"$limit": limit}]))


def test_dates_then_id_in_either_direction_ties_included(collection):
    collection.create_index([("at", -1)])
    start = datetime.datetime(2026, 1, 5, 9, 0)
    # Whole seconds and milliseconds side by side: stored as ISO text, "09:00:01" and "09:00:01.500".
    moments = [start + datetime.timedelta(milliseconds=500 * (n % 7)) for n in range(40)]
    ids = [ObjectId() for _ in moments]
    collection.insert_many([{"_id": _id, "at": at} for _id, at in zip(ids, moments, strict=True)])
    expected = sorted(zip(moments, ids, strict=True), key=lambda pair: (pair[0], pair[1]), reverse=True)
    newest = page(collection, {"at": -1, "_id": -1}, 12)
    assert [(doc["at"], doc["_id"]) for doc in newest] == expected[:12]
    oldest = page(collection, {"at": 1, "_id": 1}, 12)
    assert [(doc["at"], doc["_id"]) for doc in oldest] == sorted(expected)[:12]
    mixed = page(collection, {"at": -1, "_id": 1}, 12)
    assert [(doc["at"], doc["_id"]) for doc in mixed] == sorted(expected, key=lambda p: (-p[0].timestamp(), p[1]))[:12]


def test_strings_sort_by_their_bytes_within_a_filter(collection):
    collection.create_index("code")
    collection.create_index([("term", 1), ("code", 1)])
    codes = ["b10", "B2", "a", "", "é", "z", "Zeta", "ab", "a b", "a\u00a0c"]
    collection.insert_many([{"term": n % 2, "code": code} for n, code in enumerate(codes)])
    expected = sorted((code for n, code in enumerate(codes) if n % 2 == 0), key=lambda code: code.encode())
    assert [doc["code"] for doc in page(collection, {"code": 1}, 10, {"term": 0})] == expected
    assert [doc["code"] for doc in page(collection, {"code": -1}, 3, {"term": 0})] == expected[::-1][:3]


def test_a_field_of_mixed_types_keeps_mongodbs_order_of_types(collection):
    collection.create_index("at")
    at = datetime.datetime(2026, 3, 1)
    collection.insert_many([
        {"_id": 1, "at": "text"}, {"_id": 2, "at": at}, {"_id": 3}, {"_id": 4, "at": 7},
        {"_id": 5, "at": None}, {"_id": 6, "at": [3, 9]}, {"_id": 7, "at": {"a": 1}}, {"_id": 8, "at": at},
    ])
    # null and missing, then numbers (an array by its least element), strings, objects, dates.
    order = [doc["_id"] for doc in page(collection, {"at": 1, "_id": 1}, 10)]
    assert order == [3, 5, 6, 4, 1, 7, 2, 8]


def test_string_ids_and_a_missing_value_fall_back_to_the_same_order(collection):
    collection.create_index("code")
    collection.insert_many([{"_id": f"k{n:02}", "code": ["x", "y"][n % 2]} for n in range(10)])
    assert [doc["_id"] for doc in page(collection, {"code": 1, "_id": -1}, 4)] == ["k08", "k06", "k04", "k02"]
    collection.insert_one({"_id": "k99"})
    assert [doc["_id"] for doc in page(collection, {"code": 1, "_id": -1}, 2)] == ["k99", "k08"]


@pytest.mark.emulator
@pytest.mark.parametrize("sort", [{"at": -1, "_id": -1}, {"at": 1}])
def test_a_page_sorted_on_a_date_after_a_write_walks_the_index(embedded_collection, sqlite_steps, sort):
    """mongoeco sorted every document in SQL (two fields, or a date), after
    reading the whole collection twice to learn the types it holds."""
    embedded_collection.create_index([("at", -1)])
    start = datetime.datetime(2026, 1, 5)
    embedded_collection.insert_many([{"at": start + datetime.timedelta(minutes=n)} for n in range(6000)])
    for run in range(3):
        embedded_collection.update_one({}, {"$set": {"note": run}})
        sqlite_steps.clear()
        assert len(page(embedded_collection, sort, 20)) == 20
        # Fewer SQLite instructions than the collection has documents.
        assert len(sqlite_steps) < 6000


@pytest.mark.emulator
def test_a_page_of_a_filtered_list_sorted_on_a_string_after_a_write_walks_the_index(embedded_collection, sqlite_steps):
    """The catalog's page of a term's courses by code: mongoeco sorted in SQL
    after two reads of every document for the types held."""
    embedded_collection.create_index("code", unique=True)
    embedded_collection.create_index([("term", 1), ("code", 1)])
    embedded_collection.insert_many([{"term": n % 2, "code": f"C{n:05}"} for n in range(6000)])
    for run in range(3):
        embedded_collection.update_one({"term": 0}, {"$set": {"seats": run}})
        sqlite_steps.clear()
        assert [doc["code"] for doc in page(embedded_collection, {"code": 1}, 3, {"term": 1})] == [
            "C00001", "C00003", "C00005"
        ]
        assert len(sqlite_steps) < 6000


@pytest.mark.emulator
def test_a_filter_another_index_finds_is_not_walked_in_the_sort_fields_order(embedded_collection, sqlite_steps):
    """A student's enrollment in a course, newest first (Django's first() on the
    Meta ordering, with the enrollment's indexes): SQLite walked the date index
    over the whole collection to find it; the (student, course) index finds it
    in one seek."""
    every_id = {"$gte": ObjectId("0" * 24), "$lte": ObjectId("f" * 24)}
    embedded_collection.create_index([("created_at", -1), ("_id", -1)])
    embedded_collection.create_index(
        [("student", 1), ("course", 1)], unique=True, partialFilterExpression={"student": every_id, "course": every_id}
    )
    embedded_collection.create_index([("course", 1), ("status", 1), ("waitlisted_at", 1)])
    embedded_collection.create_index([("student", 1), ("status", 1)])
    students, courses = [ObjectId() for _ in range(1200)], [ObjectId() for _ in range(5)]
    start = datetime.datetime(2026, 1, 5)
    embedded_collection.insert_many([
        {"student": students[n // 5], "course": courses[n % 5], "status": "enrolled", "waitlisted_at": None,
         "created_at": start + datetime.timedelta(minutes=n)}
        for n in range(6000)
    ])
    embedded_collection.update_one({}, {"$set": {"note": 1}})
    sqlite_steps.clear()
    found = page(embedded_collection, {"created_at": -1, "_id": -1}, 1, {"student": students[7], "course": courses[3]})
    assert [(doc["student"], doc["course"]) for doc in found] == [(students[7], courses[3])]
    assert len(sqlite_steps) < 6000
