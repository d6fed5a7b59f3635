"""The embedded server answers like real MongoDB where Django needs it.

Each test talks pymongo over TCP to a server (an embedded server process, or
the MongoDB that ``MONGODB_URI`` names) and asserts what a real MongoDB
answers: the same assertions hold on both. Most fail on the embedded server
without one change in :mod:`embedded_mongodb.compat`; the last ones guard
behaviour mongoeco already gets right and the app relies on. The tests
marked ``emulator`` count the work the embedded engine does for a join or a
long ``$in``, in this process. No Django settings are needed.
"""

import datetime
import itertools

import pytest
from bson import Int64
from mongoeco.core.aggregation import join_stages
from mongoeco.core.filtering import QueryEngine
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

_database_numbers = itertools.count()


@pytest.fixture
def database(new_database):
    return new_database(f"compat{next(_database_numbers)}")


def ids(cursor):
    return sorted(document["_id"] for document in cursor)


# --- Commands ----------------------------------------------------------------


def test_command_names_are_case_insensitive(client):
    # pymongo's server_info() sends "buildinfo".
    assert "version" in client.server_info()


def test_rename_collection_on_the_admin_database(database):
    database.old.insert_one({"_id": 1})
    database.old.rename("new")  # pymongo sends renameCollection to admin
    assert database.list_collection_names() == ["new"]
    assert list(database.new.find()) == [{"_id": 1}]


# --- Expressions -------------------------------------------------------------


def test_not_expression_negates_truthiness(database):
    database.c.insert_many(
        [
            {"_id": 1, "v": None},
            {"_id": 2},
            {"_id": 3, "v": 0},
            {"_id": 4, "v": False},
            {"_id": 5, "v": []},
            {"_id": 6, "v": ""},
            {"_id": 7, "v": 2},
        ]
    )
    negated = {
        document["_id"]: (document["bare"], document["listed"])
        for document in database.c.aggregate(
            [{"$project": {"bare": {"$not": "$v"}, "listed": {"$not": ["$v"]}}}]
        )
    }
    assert negated == {
        1: (True, True), 2: (True, True), 3: (True, True), 4: (True, True),
        5: (False, False), 6: (False, False), 7: (False, False),
    }
    # The shape django-mongodb-backend emits for exclude()/Exists/isnull.
    not_null = {"$not": {"$or": [{"$eq": [{"$type": "$v"}, "missing"]}, {"$eq": ["$v", None]}]}}
    assert ids(database.c.aggregate([{"$match": {"$expr": {"$eq": [not_null, True]}}}])) == [3, 4, 5, 6, 7]
    with pytest.raises(OperationFailure):
        list(database.c.aggregate([{"$project": {"n": {"$not": [1, 2]}}}]))


def test_rand_accepts_an_empty_array(database):
    database.c.insert_many([{"_id": n} for n in range(3)])
    # order_by("?") sends {"$rand": []}.
    randoms = [
        document["r"]
        for document in database.c.aggregate(
            [{"$project": {"r": {"$rand": []}}}, {"$sort": {"r": 1}}]
        )
    ]
    assert len(randoms) == 3 and all(0 <= value < 1 for value in randoms)
    with pytest.raises(OperationFailure):
        list(database.c.aggregate([{"$project": {"r": {"$rand": [1]}}}]))


def test_date_trunc_in_a_timezone(database):
    database.c.insert_many(
        [
            {"_id": 1, "at": datetime.datetime(2024, 3, 5, 10, 0)},  # Tuesday, 04:00 in Chicago (CST)
            {"_id": 2, "at": datetime.datetime(2024, 7, 1, 3, 0)},  # Sunday 22:00 the day before (CDT)
            {"_id": 3, "at": None},
        ]
    )
    pipeline = [
        {
            "$project": {
                unit: {
                    "$dateTrunc": {"date": "$at", "unit": unit, "startOfWeek": "mon", "timezone": "America/Chicago"}
                }
                for unit in ("month", "week", "day", "hour")
            }
        },
        {"$sort": {"_id": 1}},
    ]
    assert list(database.c.aggregate(pipeline)) == [
        {
            "_id": 1,
            "month": datetime.datetime(2024, 3, 1, 6),
            "week": datetime.datetime(2024, 3, 4, 6),
            "day": datetime.datetime(2024, 3, 5, 6),
            "hour": datetime.datetime(2024, 3, 5, 10),
        },
        {
            "_id": 2,
            "month": datetime.datetime(2024, 6, 1, 5),
            "week": datetime.datetime(2024, 6, 24, 5),
            "day": datetime.datetime(2024, 6, 30, 5),
            "hour": datetime.datetime(2024, 7, 1, 3),
        },
        {"_id": 3, "month": None, "week": None, "day": None, "hour": None},
    ]


# --- Numbers -----------------------------------------------------------------


def test_numbers_compare_by_value_across_bson_types(database):
    # Django stores IntegerField values as Int64; pipelines compute int32.
    database.c.insert_many(
        [{"_id": 1, "n": Int64(4)}, {"_id": 2, "n": 4}, {"_id": 3, "n": 4.0}, {"_id": 4, "n": Int64(3)}]
    )
    database.c.update_one({"_id": 4}, [{"$set": {"n": {"$add": ["$n", {"$literal": 1}]}}}])
    for query in (
        {"n": 4},
        {"n": Int64(4)},
        {"n": 4.0},
        {"n": {"$in": [Int64(4), 99]}},
        {"n": {"$gte": 4, "$lt": Int64(5)}},
    ):
        assert ids(database.c.find(query)) == [1, 2, 3, 4], query
    assert ids(database.c.find({"n": {"$ne": Int64(4)}})) == []
    assert ids(database.c.find({"n": {"$gt": 10}})) == []
    by_value = database.c.find({"n": {"$lt": 10}}).sort([("n", 1), ("_id", -1)])
    assert [document["_id"] for document in by_value] == [4, 3, 2, 1]
    # A conditional $inc, as a seat is taken: only while below capacity.
    database.course.insert_one({"_id": 1, "enrolled": Int64(1), "capacity": Int64(2)})
    take_seat = {"_id": 1, "$expr": {"$lt": ["$enrolled", "$capacity"]}}
    one_more = [{"$set": {"enrolled": {"$add": ["$enrolled", 1]}}}]
    assert database.course.update_one(take_seat, one_more).modified_count == 1
    assert database.course.update_one(take_seat, {"$inc": {"enrolled": 1}}).modified_count == 0
    assert database.course.count_documents({"enrolled": Int64(2)}) == 1


# --- Aggregation stages ------------------------------------------------------


def test_nested_project_is_an_inclusion_projection(database):
    database.course.insert_many([{"_id": 10, "code": "MATH"}, {"_id": 20, "code": "BIO"}])
    database.enrollment.insert_many(
        [{"_id": 1, "course_id": 10, "student": "a"}, {"_id": 2, "course_id": 20, "student": "b"}]
    )
    # values_list("student", "course__code") as django-mongodb-backend sends it.
    pipeline = [
        {
            "$lookup": {
                "from": "course", "pipeline": [], "as": "course", "localField": "course_id", "foreignField": "_id"
            }
        },
        {"$unwind": "$course"},
        {"$project": {"course": {"code": 1}, "student": 1}},
        {"$sort": {"student": 1}},
    ]
    assert list(database.enrollment.aggregate(pipeline)) == [
        {"_id": 1, "student": "a", "course": {"code": "MATH"}},
        {"_id": 2, "student": "b", "course": {"code": "BIO"}},
    ]
    database.c.insert_many([{"_id": 1, "sub": {"a": 7, "b": 8}, "s": "x"}, {"_id": 2, "s": "y"}])
    assert list(database.c.aggregate([{"$project": {"sub": {"a": True, "c": "$s"}}}])) == [
        {"_id": 1, "sub": {"a": 7, "c": "x"}},
        {"_id": 2, "sub": {"c": "y"}},
    ]
    assert list(database.c.aggregate([{"$project": {"sub": {"a": 0}, "s": 0}}])) == [
        {"_id": 1, "sub": {"b": 8}},
        {"_id": 2},
    ]


def test_nested_add_fields_and_set_add_to_the_embedded_document(database):
    database.c.insert_many([{"_id": 1, "s": "x", "sub": {"a": 1, "b": 2}}, {"_id": 2, "s": "y"}])
    expected = [
        {"_id": 1, "s": "x", "sub": {"a": 1, "b": 2, "c": "x"}},
        {"_id": 2, "s": "y", "sub": {"c": "y"}},
    ]
    assert list(database.c.aggregate([{"$addFields": {"sub": {"c": "$s"}}}])) == expected
    # An update with an aggregation pipeline, as QuerySet.update(F(...)) sends.
    database.c.update_many({}, [{"$set": {"sub": {"c": "$s"}}}])
    assert list(database.c.find().sort("_id")) == expected


def test_push_and_add_to_set_skip_missing_values(database):
    database.c.insert_many([{"_id": 1, "v": None}, {"_id": 2, "v": 5}, {"_id": 3, "v": 5}, {"_id": 4}])
    not_null = {"$cond": [{"$ne": ["$v", None]}, "$v", "$$REMOVE"]}
    [grouped] = database.c.aggregate(
        [
            {
                "$group": {
                    "_id": None,
                    "pushed": {"$push": "$v"},
                    "set": {"$addToSet": not_null},
                    "removed": {"$push": not_null},
                }
            }
        ]
    )
    assert grouped == {"_id": None, "pushed": [None, 5, 5], "set": [5], "removed": [5, 5]}
    # Count("v", distinct=True): a $group of $addToSet alone.
    [counted] = database.c.aggregate(
        [{"$group": {"_id": None, "n": {"$addToSet": not_null}}}, {"$project": {"n": {"$size": "$n"}}}]
    )
    assert counted == {"_id": None, "n": 1}
    # Sum("v") over nulls only, as django-mongodb-backend sends it: None, not 0.
    [summed] = database.c.aggregate(
        [
            {"$match": {"_id": {"$in": [1, 4]}}},
            {"$group": {"_id": None, "s": {"$push": not_null}}},
            {"$project": {"s": {"$cond": [{"$eq": [{"$size": "$s"}, 0]}, None, {"$sum": "$s"}]}}},
        ]
    )
    assert summed == {"_id": None, "s": None}


def fill_blocks(database):
    """100 documents of 100 keys each, read-only: enough to tell a hash lookup
    from comparing every pair (mongoeco inserts are too slow for more)."""
    database.blocks.insert_many(
        [{"_id": b, "name": f"block{b}", "keys": list(range(b * 100, (b + 1) * 100))} for b in range(100)]
    )
    return database.blocks


@pytest.fixture(scope="module")
def blocks(new_database):
    return fill_blocks(new_database("blocks"))


@pytest.fixture(scope="module")
def embedded_blocks(in_process):
    return fill_blocks(in_process.compat_blocks)


# 500 documents, each joining the block that holds its key.
KEYS_JOINED_TO_BLOCKS = [
    {"$limit": 1},
    {"$project": {"_id": 0, "key": {"$range": [0, 10_000, 20]}}},
    {"$unwind": "$key"},
]
KEYS = range(0, 10_000, 20)
# select_related() as django-mongodb-backend sends it.
LOOKUP_WITH_AN_EMPTY_PIPELINE = {
    "from": "blocks", "pipeline": [], "as": "block", "localField": "key", "foreignField": "keys",
}
# A filter on a related model as django-mongodb-backend sends it.
LOOKUP_WITH_A_PIPELINE = {
    "from": "blocks",
    "let": {"key": "$key"},
    "pipeline": [
        {"$match": {"$expr": {"$ne": [{"$mod": ["$$key", 200]}, 0]}}},
        {"$project": {"name": 1}},
    ],
    "as": "block",
    "localField": "key",
    "foreignField": "keys",
}


def join_blocks(blocks, lookup):
    return list(blocks.aggregate([*KEYS_JOINED_TO_BLOCKS, {"$lookup": lookup}, {"$unwind": "$block"}]))


def test_lookup_with_an_empty_pipeline_is_the_field_join(blocks):
    joined = join_blocks(blocks, LOOKUP_WITH_AN_EMPTY_PIPELINE)
    assert [(document["key"], document["block"]["_id"]) for document in joined] == [(k, k // 100) for k in KEYS]


def test_lookup_with_a_pipeline_runs_it_on_each_documents_matches(blocks):
    joined = join_blocks(blocks, LOOKUP_WITH_A_PIPELINE)
    assert [(document["key"], document["block"]) for document in joined] == [
        (k, {"_id": k // 100, "name": f"block{k // 100}"}) for k in KEYS if k % 200
    ]


@pytest.mark.emulator
@pytest.mark.parametrize("lookup", [LOOKUP_WITH_AN_EMPTY_PIPELINE, LOOKUP_WITH_A_PIPELINE], ids=["empty", "pipeline"])
def test_a_lookup_compares_each_document_with_its_matches_only(embedded_blocks, count_calls, lookup):
    """MongoDB finds a document's matches with an index; mongoeco compared
    every document with every block (500 x 100 pairs: 5 to 6 s) unless it
    could hash-join, which it did only without a pipeline."""
    pairs = count_calls(join_stages, "_lookup_matches")
    assert join_blocks(embedded_blocks, lookup)
    assert len(pairs) == len(KEYS)


# --- $in and $nin ------------------------------------------------------------


def test_in_and_nin_accept_thousands_of_values(database):
    database.c.insert_many([{"_id": n, "n": n, "s": f"s{n}", "tags": [n, -n]} for n in range(20)])
    many = list(range(10, 5010))
    assert database.c.count_documents({"n": {"$in": many}}) == 10
    assert database.c.count_documents({"s": {"$in": [f"s{n}" for n in many]}}) == 10
    # The second $match runs in Python, on the documents the first one found.
    matched = database.c.aggregate([{"$match": {"n": {"$in": many}}}, {"$match": {"n": {"$lt": 12}}}])
    assert ids(matched) == [10, 11]
    assert ids(database.c.find({"n": {"$nin": many}})) == list(range(10))
    database.c.create_index("tags")  # a multikey index
    assert database.c.count_documents({"tags": {"$in": [-n for n in many]}}) == 10
    assert database.c.delete_many({"n": {"$in": many}}).deleted_count == 10


LONG_IN = [b * 100 + 7 for b in range(0, 100, 2)] + list(range(10_000, 11_000))
LONG_NIN = [f"block{b}" for b in range(0, 100, 2)] + [f"other{n}" for n in range(30_000)]


def test_long_in_and_nin_lists_match_exactly(blocks):
    assert blocks.count_documents({"keys": {"$in": LONG_IN}}) == 50
    assert blocks.count_documents({"name": {"$nin": LONG_NIN}}) == 50


@pytest.mark.emulator
def test_long_in_lists_are_looked_up_in_a_set(embedded_blocks, count_calls):
    """Each listed value is hashed once per query, and each stored value
    looked up in the set: comparing each stored value with each listed one,
    or hashing the list again for each document, took 5 to 10 s."""
    hashed = count_calls(QueryEngine, "_hashable_in_lookup_key")
    compared = count_calls(QueryEngine, "_query_equality_matches")
    assert embedded_blocks.count_documents({"keys": {"$in": LONG_IN}}) == 50
    assert embedded_blocks.count_documents({"name": {"$nin": LONG_NIN}}) == 50
    stored_values = 100 * 100 + 100
    assert len(hashed) + len(compared) <= len(LONG_IN) + len(LONG_NIN) + stored_values


# --- Indexes -----------------------------------------------------------------


def test_indexes_on_one_key_pattern_with_different_partial_filters(database):
    # django-allauth's EmailAddress: a unique email among verified addresses
    # next to a plain index on email, and one primary address per user.
    emails = database.emails
    emails.create_index("email", name="unique_verified_email", unique=True, partialFilterExpression={"verified": True})
    emails.create_index("email", name="email_idx")
    emails.create_index("email", name="unique_primary", unique=True, partialFilterExpression={"primary": True})
    names = {index["name"]: index.get("partialFilterExpression") for index in emails.list_indexes()}
    assert names == {
        "_id_": None,
        "email_idx": None,
        "unique_verified_email": {"verified": True},
        "unique_primary": {"primary": True},
    }
    emails.insert_many(
        [
            {"_id": 1, "email": "a@x", "verified": True, "primary": True},
            {"_id": 2, "email": "a@x", "verified": False, "primary": False},
            {"_id": 3, "email": "a@x", "verified": False, "primary": False},
        ]
    )
    with pytest.raises(DuplicateKeyError) as duplicate:
        emails.insert_one({"_id": 4, "email": "a@x", "verified": True, "primary": False})
    assert duplicate.value.code == 11000
    with pytest.raises(DuplicateKeyError):
        emails.insert_one({"_id": 5, "email": "a@x", "verified": False, "primary": True})
    assert ids(emails.find({"email": "a@x"})) == [1, 2, 3]
    assert ids(emails.find({"email": "a@x", "verified": False})) == [2, 3]
    with pytest.raises(OperationFailure):  # same key and filter, other options
        emails.create_index("email", name="other", partialFilterExpression={"primary": True})


def test_list_indexes_shape(database):
    database.c.create_index([("a", 1), ("b", -1)], name="a_b")
    database.c.create_index("u", unique=True)
    assert list(database.c.list_indexes()) == [
        {"v": 2, "key": {"_id": 1}, "name": "_id_"},
        {"v": 2, "key": {"a": 1, "b": -1}, "name": "a_b"},
        {"v": 2, "key": {"u": 1}, "name": "u_1", "unique": True},
    ]


# --- Behaviour mongoeco already matches, relied on by the app ----------------


def test_conditional_find_and_modify(database):
    database.course.insert_one({"_id": 1, "seats": 0})
    take = {"_id": 1, "seats": {"$lt": 2}}
    one_more = {"$inc": {"seats": 1}}
    assert database.course.find_one_and_update(take, one_more, return_document=ReturnDocument.AFTER)["seats"] == 1
    assert database.course.find_one_and_update(take, one_more, return_document=ReturnDocument.AFTER)["seats"] == 2
    assert database.course.find_one_and_update(take, one_more) is None
    assert database.course.update_one(take, one_more).matched_count == 0


def test_unique_index_violation_is_a_duplicate_key_error(database):
    database.c.create_index([("student", 1), ("course", 1)], unique=True)
    database.c.insert_one({"student": 1, "course": 2})
    with pytest.raises(DuplicateKeyError) as duplicate:
        database.c.insert_one({"student": 1, "course": 2})
    assert duplicate.value.code == 11000
    assert database.c.count_documents({}) == 1


def test_expressions_and_stages(database):
    database.a.insert_many(
        [
            {"_id": 1, "name": "Ann", "score": 10, "at": datetime.datetime(2024, 1, 2)},
            {"_id": 2, "name": "bob", "score": None},
            {"_id": 3, "name": "Cy", "score": 30},
        ]
    )
    database.b.insert_many(
        [{"_id": 1, "a_id": 1, "k": "x"}, {"_id": 2, "a_id": 1, "k": "y"}, {"_id": 3, "a_id": 3, "k": "z"}]
    )
    projected = database.a.aggregate(
        [
            {
                "$project": {
                    "lit": {"$literal": "$name"},
                    "dflt": {"$ifNull": ["$score", 0]},
                    "big": {"$cond": {"if": {"$gt": ["$score", 15]}, "then": "yes", "else": "no"}},
                    "field": {"$getField": {"field": "name", "input": "$$CURRENT"}},
                    "text": {"$toString": "$_id"},
                    "conv": {"$convert": {"input": "$score", "to": "string", "onNull": "none"}},
                    "b_name": {"$regexMatch": {"input": "$name", "regex": "^B", "options": "i"}},
                }
            },
            {"$sort": {"_id": 1}},
        ]
    )
    assert [tuple(document.values())[1:] for document in projected] == [
        ("$name", 10, "no", "Ann", "1", "10", False),
        ("$name", 0, "no", "bob", "2", "none", True),
        ("$name", 30, "yes", "Cy", "3", "30", False),
    ]
    joined = database.a.aggregate(
        [
            {
                "$lookup": {
                    "from": "b",
                    "let": {"parent": "$_id"},
                    "pipeline": [
                        {"$match": {"$expr": {"$eq": ["$a_id", "$$parent"]}}},
                        {"$project": {"k": 1, "_id": 0}},
                    ],
                    "as": "bs",
                }
            },
            {"$project": {"ks": "$bs.k"}},
            {"$sort": {"_id": 1}},
        ]
    )
    assert [document["ks"] for document in joined] == [["x", "y"], [], ["z"]]
    [faceted] = database.a.aggregate(
        [
            {"$unionWith": {"coll": "b", "pipeline": [{"$project": {"score": {"$literal": 5}}}]}},
            {
                "$facet": {
                    "count": [{"$count": "n"}],
                    "totals": [
                        {"$group": {"_id": None, "sum": {"$sum": "$score"}, "max": {"$max": "$score"}}}
                    ],
                }
            },
        ]
    )
    assert faceted == {"count": [{"n": 6}], "totals": [{"_id": None, "sum": 55, "max": 30}]}
    assert database.a.count_documents({"score": {"$gte": 10}}) == 2
    assert database.a.count_documents({}, skip=1, limit=1) == 1
