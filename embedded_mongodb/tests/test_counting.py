"""Django's count pipeline: MongoDB's answers, given by counting rows (counting.py)."""

import functools
import itertools

import pymongo
import pytest
from bson import ObjectId
from pymongo.errors import OperationFailure

from embedded_mongodb import counting, server
from embedded_mongodb.engine import EmbeddedEngine
from embedded_mongodb.testing import throwaway_server
from embedded_mongodb.tests.conftest import serve_in_process

_numbers = itertools.count()
# What Django's QuerySet.count() sends after its filter's $match (django-mongodb-backend 6.1).
DJANGO_COUNT = [
    {"$group": {"_id": None, "__count": {"$sum": {"$switch": {
        "branches": [{"case": {"$not": {"$or": [
            {"$eq": [{"$type": {"$literal": True}}, "missing"]}, {"$eq": [{"$literal": True}, None]},
        ]}}, "then": {"$literal": 1}}],
        "default": "$$REMOVE",
    }}}}},
    {"$addFields": {"__now": "$$NOW"}},
    {"$unionWith": {"pipeline": [{"$documents": [{}]}]}},
    {"$limit": 1},
    {"$project": {"__count": {"$ifNull": ["$__count", {"$literal": 0}]}}},
]


def django_count(collection, filter_spec=None) -> list:
    return list(collection.aggregate(([{"$match": filter_spec}] if filter_spec is not None else []) + DJANGO_COUNT))


@pytest.fixture
def collection(new_database):
    collection = new_database("counting")[f"c{next(_numbers)}"]
    collection.create_index([("term", 1), ("code", 1)])
    collection.insert_many([{"code": f"C{n:03}", "term": n % 3, "seats": n % 4 or None} for n in range(60)])
    return collection


@pytest.mark.parametrize(("filter_spec", "expected"), [
    (None, [{"_id": None, "__count": 60}]),
    ({"term": 1}, [{"_id": None, "__count": 20}]),
    ({"term": 1, "code": {"$gte": "C030"}}, [{"_id": None, "__count": 10}]),
    ({"seats": None}, [{"_id": None, "__count": 15}]),
    ({"$expr": {"$gt": ["$seats", 2]}}, [{"_id": None, "__count": 15}]),
    ({"term": 7}, [{"__count": 0}]),
])
def test_django_counts_answer_as_mongodb(collection, filter_spec, expected):
    assert django_count(collection, filter_spec) == expected


def test_an_empty_collection_counts_zero(new_database):
    assert django_count(new_database("counting")["empty"]) == [{"__count": 0}]


def test_other_group_pipelines_are_not_taken_for_counts():
    count_of_field = [{"$group": {"_id": None, "__count": {"$sum": "$seats"}}}, *DJANGO_COUNT[1:]]
    grouped_by_term = [{"$group": {"_id": "$term", "__count": {"$sum": 1}}}, *DJANGO_COUNT[1:]]
    without_suffix = DJANGO_COUNT[:1]
    for pipeline in (count_of_field, grouped_by_term, without_suffix, [{"$sort": {"a": 1}}, *DJANGO_COUNT]):
        assert counting.counted_filter({"aggregate": "c", "pipeline": pipeline, "cursor": {}}) is None
    with_collation = {"aggregate": "c", "pipeline": DJANGO_COUNT, "cursor": {}, "collation": {"locale": "fr"}}
    assert counting.counted_filter(with_collation) is None
    assert counting.counted_filter({"aggregate": "c", "pipeline": DJANGO_COUNT, "cursor": {}}) == {}


@pytest.fixture
def small_budget_server(tmp_path, monkeypatch):
    """An in-process embedded server whose aggregation budget is 50 documents (mongoeco's default is 50,000)."""
    small_budget = functools.partial(EmbeddedEngine, aggregation_materialization_limit=50)
    monkeypatch.setattr(server, "EmbeddedEngine", small_budget)
    with serve_in_process(tmp_path / "db.sqlite3") as client:
        yield client


@pytest.mark.emulator
def test_a_count_past_the_aggregation_budget_is_answered_without_decoding(small_budget_server, documents_read):
    """mongoeco counted by decoding every document in a $group, and refused
    past its aggregation budget; MongoDB counts with an index and has no such budget."""
    collection = small_budget_server.counting.enrollments
    collection.create_index([("course", 1), ("status", 1)])
    course = ObjectId()
    collection.insert_many([{"course": course if n % 2 else ObjectId(), "status": "enrolled"} for n in range(200)])
    with pytest.raises(OperationFailure):
        list(collection.aggregate([{"$group": {"_id": None, "n": {"$sum": 1}}}]))  # the budget holds
    documents_read.clear()
    assert django_count(collection) == [{"_id": None, "__count": 200}]
    assert django_count(collection, {"course": course}) == [{"_id": None, "__count": 100}]
    assert documents_read == []


@pytest.mark.emulator
def test_the_aggregation_budget_is_set_by_an_authenticated_client_only(tmp_path):
    with throwaway_server() as uri, pymongo.MongoClient(uri) as client:
        anonymous = pymongo.MongoClient(f"mongodb://{uri.split('@', 1)[1]}")
        with pytest.raises(OperationFailure):
            anonymous.admin.command({"setParameter": 1, "embeddedAggregationBudget": 1})
        client.t.c.insert_many([{"a": n} for n in range(10)])
        grouped = [{"$sort": {"a": 1}}, {"$group": {"_id": None, "n": {"$sum": 1}}}]
        assert list(client.t.c.aggregate(grouped)) == [{"_id": None, "n": 10}]
        assert client.admin.command({"setParameter": 1, "embeddedAggregationBudget": 5})["was"] == 50_000
        with pytest.raises(OperationFailure):
            list(client.t.c.aggregate([{"$sort": {"a": -1}}, *grouped[1:]]))  # not the cached answer
        anonymous.close()
