"""Indexes used as MongoDB uses them, with MongoDB's answers.

:mod:`embedded_mongodb.speed` replaces mongoeco's full-collection scans with
indexed lookups (unique keys, equalities, joins) and moves filters ahead of
joins. The unmarked tests assert what MongoDB answers (duplicates refused
exactly, joins and filters giving the same documents whatever the order of
the stages) and run against a real MongoDB too. The ``emulator`` tests count
the work the embedded engine does, in this process: documents decoded, SQLite
instructions, query plans compiled. No Django settings are needed.
"""

import datetime
import inspect

import pytest
from bson import Decimal128, Int64, ObjectId
from mongoeco.engines.sqlite import SQLiteEngine
from pymongo.errors import BulkWriteError, DuplicateKeyError

from embedded_mongodb import speed
from embedded_mongodb.engine import EmbeddedEngine
from embedded_mongodb.patches import install


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
    # A dotted field, which the embedded server leaves to mongoeco's own check.
    dotted = collection.database[collection.name + "_dotted"]
    dotted.create_index("a.b", unique=True)
    dotted.insert_one({"x": 1})
    assert refused(dotted, {"a": {"b": None}})


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


# --- unique checks read no document -----------------------------------------------


@pytest.mark.emulator
def test_unique_checks_read_no_document_however_big_the_collection(embedded_collection, documents_read):
    """MongoDB checks a unique key with one B-tree lookup; mongoeco decoded
    every document of the collection for each write (a bulk load of 1,500
    documents under three unique indexes took 90 s or more)."""
    embedded_collection.create_index("email", unique=True)
    embedded_collection.create_index("num", unique=True)
    embedded_collection.create_index([("student", 1), ("course", 1)], unique=True)
    students = [ObjectId() for _ in range(30)]
    embedded_collection.insert_many(
        {"email": f"user{n}@example.com", "num": n, "student": students[n % 30], "course": ObjectId()}
        for n in range(500)
    )
    assert len(documents_read) == 0
    for n in range(50):
        embedded_collection.update_one({"num": n}, {"$inc": {"num": 10_000}})
    assert len(documents_read) == 50  # each update reads the document it changes
    assert refused(embedded_collection, {"email": "user1@example.com"})
    assert refused(embedded_collection, {"num": 499.0})


# --- $match ahead of $lookup/$unwind ------------------------------------------

# $set/$unset of a scratch field between the joins and the $match: a no-op
# that is neither $lookup nor $unwind, so the server runs the $match where
# it was written, as mongoeco alone did. Results must be the same both ways.
BARRIER = [{"$set": {"_barrier": 1}}, {"$unset": "_barrier"}]


def _with_barrier(pipeline):
    index = max(i for i, stage in enumerate(pipeline) if "$match" in stage)
    return pipeline[:index] + BARRIER + pipeline[index:]


def fill_school(database):
    """Terms, courses and enrollments shaped like the app's, with the
    student/course unique index Django creates."""
    terms = [{"_id": ObjectId(), "name": f"T{n}", "starts": datetime.datetime(2024, 1 + n, 1)} for n in range(4)]
    courses = [
        {
            "_id": ObjectId(),
            "code": f"C{n:03d}",
            "term_id": terms[n % 4]["_id"] if n % 17 else ObjectId(),  # some dangle
            "credits": n % 5,
            "tags": ["x", "y"][: n % 3],
            "meta": {"level": n % 3, "rooms": [{"r": n}, {"r": n + 1}]},
        }
        for n in range(60)
    ]
    students = [ObjectId() for _ in range(200)]
    enrollments = []
    for n in range(ENROLLMENTS):
        enrollment = {
            "student_id": students[n % 200],
            "course_id": courses[(n * 7 + n // 200) % 60]["_id"],
            "status": ["enrolled", "waitlisted", "dropped"][n % 3],
            "n": n,
        }
        if n % 11 == 0:
            enrollment["grade"] = None if n % 2 else "A"
        enrollments.append(enrollment)
    database.terms.insert_many(terms)
    database.courses.insert_many(courses)
    database.enrollments.create_index([("student_id", 1), ("course_id", 1)], unique=True)
    database.enrollments.insert_many(enrollments)
    return database, students, courses


@pytest.fixture(scope="module")
def school(new_database):
    return fill_school(new_database("school"))


@pytest.fixture(scope="module")
def embedded_school(in_process):
    return fill_school(in_process.speed_school)


ENROLLMENTS = 800

SELECT_RELATED = [
    {"$lookup": {"from": "courses", "pipeline": [], "as": "course", "localField": "course_id", "foreignField": "_id"}},
    {"$unwind": "$course"},
    {"$lookup": {"from": "terms", "pipeline": [], "as": "term", "localField": "course.term_id", "foreignField": "_id"}},
    {"$unwind": "$term"},
]


def _filters(students, courses):
    return [
        {"student_id": students[3]},
        {"student_id": {"$in": students[:5]}, "status": "enrolled"},
        {"$and": [{"student_id": students[7]}, {"course.credits": {"$gte": 2}}]},
        {"student_id": students[9], "term.name": "T1"},
        {"$or": [{"student_id": students[1]}, {"course.code": "C005"}]},
        {"course": {"$exists": True}, "n": {"$lt": 40}},
        {"grade": None, "status": {"$ne": "dropped"}},
        {"$expr": {"$lt": ["$n", 30]}},
        {"$and": [{"n": {"$lt": 300}}, {"$expr": {"$eq": ["$course.credits", 1]}}]},
        {"course_id": courses[5]["_id"], "$comment": "hello"},
        {"term.starts": {"$gte": datetime.datetime(2024, 3, 1)}, "n": {"$mod": [7, 0]}},
        {"nothing": {"$exists": False}, "course.meta.level": 2, "n": {"$gte": 700}},
    ]


def test_hoisting_the_match_keeps_the_results(school):
    database, students, courses = school
    tails = [
        [],
        [{"$addFields": {"code": "$course.code"}}, {"$sort": {"code": 1, "n": -1}}, {"$limit": 15}],
    ]
    for match in _filters(students, courses):
        for tail in tails:
            pipeline = [*SELECT_RELATED, {"$match": match}, *tail]
            expected = list(database.enrollments.aggregate(_with_barrier(pipeline)))
            got = list(database.enrollments.aggregate(pipeline))
            if not tail:  # no $sort: compare as multisets
                expected.sort(key=lambda d: d["n"])
                got.sort(key=lambda d: d["n"])
            assert got == expected, (match, tail)


def test_hoisting_keeps_unwind_options_and_reused_names(school):
    database, students, _courses = school
    pipelines = [
        # includeArrayIndex writes "i": a filter on it must wait for it.
        [{"$lookup": {"from": "courses", "localField": "course_id", "foreignField": "_id", "as": "c"}},
         {"$unwind": {"path": "$c.tags", "includeArrayIndex": "i", "preserveNullAndEmptyArrays": True}},
         {"$match": {"i": {"$ne": 1}, "student_id": {"$in": students[:20]}}}],
        # "as" overwrites an existing field the filter reads: not moved.
        [{"$lookup": {"from": "courses", "localField": "course_id", "foreignField": "_id", "as": "status"}},
         {"$match": {"status": {"$size": 1}, "n": {"$lt": 500}}}],
        # A filter on a parent of "as" reads it too.
        [{"$lookup": {"from": "courses", "localField": "course_id", "foreignField": "_id", "as": "x.y"}},
         {"$unwind": "$x.y"},
         {"$match": {"x": {"$exists": True}, "student_id": students[4]}}],
        # Unwinding a looked-up array, then filtering on the element.
        [{"$lookup": {"from": "courses", "localField": "course_id", "foreignField": "_id", "as": "c"}},
         {"$unwind": "$c"}, {"$unwind": "$c.meta.rooms"},
         {"$match": {"c.meta.rooms.r": {"$gt": 30}, "student_id": {"$in": students[:50]}}},
         {"$sort": {"n": 1, "c.meta.rooms.r": 1}}],
    ]
    for pipeline in pipelines:
        expected = sorted(database.enrollments.aggregate(_with_barrier(pipeline)), key=repr)
        got = sorted(database.enrollments.aggregate(pipeline), key=repr)
        assert got == expected, pipeline
        assert got or pipeline is pipelines[1]


@pytest.mark.emulator
def test_hoist_matches_moves_only_independent_filters():
    from embedded_mongodb.speed import hoist_matches

    lookup = {"$lookup": {"from": "c", "localField": "course_id", "foreignField": "_id", "as": "c"}}
    unwind = {"$unwind": "$c"}
    assert hoist_matches([lookup, unwind, {"$match": {"s": 1}}]) == [{"$match": {"s": 1}}, lookup, unwind]
    assert hoist_matches([lookup, unwind, {"$match": {"s": 1, "c.x": 2}}]) == [
        {"$match": {"s": 1}}, lookup, unwind, {"$match": {"c.x": 2}},
    ]
    for stays in ({"c": None}, {"c.x": 1}, {"$expr": {"$eq": ["$s", 1]}}, {"$or": [{"s": 1}, {"c": 1}]},
                  {"$where": "true"}, {"$text": {"$search": "a"}}):
        pipeline = [lookup, unwind, {"$match": stays}]
        assert hoist_matches(pipeline) == pipeline
    # Not past other stages.
    pipeline = [lookup, {"$addFields": {"s": 2}}, {"$match": {"s": 1}}]
    assert hoist_matches(pipeline) == pipeline


@pytest.mark.emulator
def test_a_filtered_join_reads_only_the_matching_documents(embedded_school, documents_read):
    """Filtering first, with the index, reads a student's 4 enrollments and
    what they join; joining all 800 enrollments first read them all."""
    database, students, _courses = embedded_school
    pipeline = [*SELECT_RELATED, {"$match": {"student_id": students[11]}}, {"$sort": {"n": -1}}]
    assert list(database.enrollments.aggregate(pipeline))
    # The student's 4 enrollments, their courses and terms.
    assert len(documents_read) <= 3 * ENROLLMENTS // len(students)


# --- copying documents --------------------------------------------------------


def test_stages_copy_documents_independently(collection):
    collection.insert_many(
        [{"_id": n, "subs": [{"k": n, "deep": {"v": [n]}}, {"k": n + 1, "deep": {"v": []}}],
          "at": datetime.datetime(2024, 1, 1),
          "ref": ObjectId("0123456789abcdef01234567"), "d": Decimal128("1.5"), "i": Int64(3)} for n in range(3)]
    )
    got = list(collection.aggregate([
        {"$unwind": "$subs"},
        {"$set": {"subs.deep.v": {"$concatArrays": ["$subs.deep.v", [9]]}, "subs.added": "$ref"}},
        {"$lookup": {"from": collection.name, "localField": "_id", "foreignField": "_id", "as": "self"}},
        {"$sort": {"_id": 1, "subs.k": 1}},
    ]))
    assert [(d["_id"], d["subs"]["k"], d["subs"]["deep"]["v"]) for d in got] == [
        (0, 0, [0, 9]), (0, 1, [9]), (1, 1, [1, 9]), (1, 2, [9]), (2, 2, [2, 9]), (2, 3, [9]),
    ]
    for document in got:
        assert document["subs"]["added"] == ObjectId("0123456789abcdef01234567")
        (original,) = document["self"]
        assert original["subs"][0]["deep"]["v"] == [document["_id"]]  # untouched by $set
        assert (original["at"], original["d"], original["i"]) == (datetime.datetime(2024, 1, 1), Decimal128("1.5"), 3)


@pytest.mark.emulator
def test_document_copy_equals_deepcopy_and_leaves_it_only_other_types(monkeypatch):
    import copy as copy_module

    from bson.int64 import Int64 as BsonInt64

    from embedded_mongodb import speed

    install()
    assert all(module.deepcopy is speed._copy_document for module in speed.COPYING_MODULES)
    documents = [
        {"_id": ObjectId(), "n": n, "f": n / 3, "b": n % 2 == 0, "none": None, "s": "x" * n, "raw": b"\x00",
         "at": datetime.datetime(2024, 1, 1, n % 24), "list": [[n], {"a": [1, {"b": ObjectId()}]}],
         "i64": BsonInt64(n), "dec": Decimal128("2.5"), "t": (1, [2])}
        for n in range(300)
    ]
    expected = copy_module.deepcopy(documents)
    # deepcopy's generic machinery (a memo table, ObjectIds rebuilt through
    # __reduce_ex__) was most of a join's time: only what is neither a dict,
    # a list nor a known immutable scalar still goes through it.
    handed_to_deepcopy = []
    deepcopy = copy_module.deepcopy
    monkeypatch.setattr(speed.copy, "deepcopy",
                        lambda value, memo=None: handed_to_deepcopy.append(type(value)) or deepcopy(value, memo))
    copied = speed._copy_document(documents)
    assert copied == expected
    assert sorted({kind.__name__ for kind in handed_to_deepcopy}) == ["Decimal128", "Int64", "tuple"]
    assert len(handed_to_deepcopy) == 3 * len(documents)
    for original, duplicate in zip(documents, copied, strict=True):
        assert duplicate["list"] is not original["list"] and duplicate["list"][1]["a"] is not original["list"][1]["a"]
        assert duplicate["t"][1] is not original["t"][1]  # other types: deepcopy
        assert duplicate["_id"] is original["_id"]  # immutable: shared


# --- joins read only the documents they join -----------------------------------


def _read_whole(pipeline, joined):
    """The pipeline with the joined collection named twice, which makes the
    server read it whole as mongoeco alone did; the extra branch adds nothing."""
    return [*pipeline, {"$unionWith": {"coll": joined, "pipeline": [{"$match": {"_id": "none"}}]}}]


def test_narrowed_joins_keep_the_results(school):
    database, students, courses = school
    pipelines = [[*SELECT_RELATED, {"$match": match}] for match in _filters(students, courses)]
    pipelines += [
        # Joined documents found through an earlier join's documents, kept as an array.
        [{"$match": {"n": {"$lt": 100}}},
         {"$lookup": {"from": "courses", "localField": "course_id", "foreignField": "_id", "as": "c"}},
         {"$lookup": {"from": "terms", "localField": "c.term_id", "foreignField": "_id", "as": "t"}}],
        # An array of keys on the local side.
        [{"$match": {"n": {"$lt": 50}}},
         {"$lookup": {"from": "courses", "localField": "course_id", "foreignField": "_id", "as": "c"}},
         {"$unwind": "$c"},
         {"$lookup": {"from": "terms", "localField": "c.meta.rooms.r", "foreignField": "n", "as": "t"}}],
        # includeArrayIndex writes the field the next join reads.
        [{"$match": {"n": {"$lt": 30}}},
         {"$lookup": {"from": "courses", "localField": "course_id", "foreignField": "_id", "as": "c"}},
         {"$unwind": {"path": "$c.tags", "includeArrayIndex": "grade"}},
         {"$lookup": {"from": "terms", "localField": "grade", "foreignField": "n", "as": "t"}}],
        # Enrollments whose course is not in the catalog reach the second join
        # without c.level, which joins the terms that have no level.
        [{"$match": {"n": {"$lt": 40}}},
         {"$lookup": {"from": "courses", "localField": "course_id", "foreignField": "code", "as": "c"}},
         {"$lookup": {"from": "terms", "localField": "c.level", "foreignField": "level", "as": "t"}}],
        # No document reaches the joins.
        [*SELECT_RELATED, {"$match": {"student_id": ObjectId()}}],
    ]
    for pipeline in pipelines:
        expected = sorted(database.enrollments.aggregate(_read_whole(pipeline, "terms")), key=repr)
        assert sorted(database.enrollments.aggregate(pipeline), key=repr) == expected, pipeline


def test_narrowed_joins_match_like_mongodb(new_database):
    database = new_database("join_keys")
    keys = [1, 1.0, Int64(1), Decimal128("1"), 2, None, [1, 3], [], "1", {"a": 1}, ObjectId("0123456789abcdef01234567")]
    database.left.insert_many([{"_id": n, "k": key} for n, key in enumerate(keys)] + [{"_id": 99}])
    database.right.insert_many(
        [{"_id": n, "k": key} for n, key in enumerate(keys)] + [{"_id": 99}, {"_id": 98, "k": 3}]
    )
    pipeline = [{"$lookup": {"from": "right", "localField": "k", "foreignField": "k", "as": "r"}},
                {"$project": {"r": "$r._id"}}, {"$sort": {"_id": 1}}]
    expected = list(database.left.aggregate(_read_whole(pipeline, "right")))
    assert list(database.left.aggregate(pipeline)) == expected
    # MongoDB: 1 equals 1.0, Int64(1) and Decimal128("1"); a missing key joins null and missing ones.
    assert [entry["r"] for entry in expected if entry["_id"] == 0][0][:4] == [0, 1, 2, 3]
    assert sorted([entry["r"] for entry in expected if entry["_id"] == 99][0]) == [5, 99]


@pytest.mark.emulator
def test_a_join_reads_only_the_documents_it_joins(in_process, documents_read):
    """MongoDB runs a join as one indexed lookup per key; mongoeco read every
    document of the joined collection (3,000 courses for a student's ten)."""
    database = in_process.speed_join_size
    course_ids = [ObjectId() for _ in range(3000)]
    database.courses.insert_many(
        {"_id": _id, "title": f"Course {n}", "tags": ["a", "b"]} for n, _id in enumerate(course_ids)
    )
    database.enrollments.create_index("student")
    database.enrollments.insert_many(
        [{"student": n % 50, "course_id": course_ids[n * 7 % 3000], "n": n} for n in range(500)]
    )
    documents_read.clear()
    pipeline = [{"$match": {"student": 3}},
                {"$lookup": {"from": "courses", "localField": "course_id", "foreignField": "_id", "as": "c"}}]
    found = list(database.enrollments.aggregate(pipeline))
    assert len(found) == 10 and all(len(entry["c"]) == 1 for entry in found)
    assert len(documents_read) == 10 + 10  # the enrollments, and the course of each


@pytest.mark.emulator
def test_joins_read_only_what_reaches_them_through_earlier_joins(in_process, documents_read):
    """Django's select_related of an enrollment's course and the course's term,
    for a student with ten enrollments and for one with none yet (the first
    thing checked when they enroll): a join no document reaches had read the
    whole collection."""
    database = in_process.speed_join_through
    term_ids = [ObjectId() for _ in range(3000)]
    course_ids = [ObjectId() for _ in range(3000)]
    database.terms.insert_many([{"_id": _id, "name": f"Term {n}"} for n, _id in enumerate(term_ids)])
    database.courses.insert_many([{"_id": _id, "term_id": term_ids[n]} for n, _id in enumerate(course_ids)])
    database.enrollments.create_index("student")
    database.enrollments.insert_many([{"student": n % 50, "course_id": course_ids[n]} for n in range(500)])
    for student, enrollments in ((3, 10), (100, 0)):
        documents_read.clear()
        found = list(database.enrollments.aggregate([*SELECT_RELATED, {"$match": {"student": student}}]))
        assert len(found) == enrollments
        assert len(documents_read) == 3 * enrollments  # each enrollment, its course and its term


@pytest.mark.emulator
def test_joins_on_id_read_by_primary_key(tmp_path, monkeypatch):
    """Every select_related() joins on _id: mongoeco scanned the joined
    collection for {_id: {$in: keys}} (a compiled plan, a reader, a snapshot)
    where MongoDB reads the _id index. Same documents, same order, no scan."""
    from mongoeco import MongoClient as InProcessClient

    install()
    scanned = []
    scan = SQLiteEngine.scan_find_semantics
    monkeypatch.setattr(
        SQLiteEngine, "scan_find_semantics",
        lambda self, db, coll, *args, **kwargs: scanned.append(coll) or scan(self, db, coll, *args, **kwargs),
    )
    client = InProcessClient(EmbeddedEngine(str(tmp_path / "db.sqlite3")))
    try:
        database = client.db
        ids = [ObjectId() for _ in range(6)] + ["text-id", "another"]
        database.courses.insert_many([
            {"_id": _id, "n": n, "i64": Int64(n), "dec": Decimal128(f"{n}.5"), "at": datetime.datetime(2024, 1, n + 1),
             "nested": {"list": [n, {"deep": [_id]}]}}
            for n, _id in enumerate(ids)
        ])
        database.enrollments.insert_many([
            {"_id": 1, "course_id": ids[3]},
            {"_id": 2, "course_id": [ids[5], ids[0], "text-id", ObjectId()]},  # several keys, one dangling
            {"_id": 3, "course_id": ObjectId()},
            {"_id": 4, "course_id": "another"},
            {"_id": 5},  # joins an _id of null
            {"_id": 6, "course_id": []},
        ])
        database.courses.insert_one({"_id": None, "n": -1})
        pipeline = [{"$match": {"_id": {"$lte": 6}}},
                    {"$lookup": {"from": "courses", "localField": "course_id", "foreignField": "_id", "as": "c"}}]
        expected = list(database.enrollments.aggregate(_read_whole(pipeline, "courses")))
        scanned.clear()
        got = list(database.enrollments.aggregate(pipeline))
        assert got == expected
        assert [len(document["c"]) for document in got] == [1, 3, 0, 1, 1, 0]
        assert scanned == ["enrollments"]
    finally:
        client.close()


@pytest.mark.emulator
def test_a_read_of_one_id_reads_it_by_primary_key(tmp_path, monkeypatch):
    """Django's get() is an aggregate of an _id equality with a $limit of 21:
    mongoeco compiled a query plan and opened a reader for it, where find_one
    reads by primary key. At most one document can match, so both give the
    same answer the same way."""
    from mongoeco import MongoClient as InProcessClient

    install()
    compiled = []
    compile_plan = SQLiteEngine._compile_read_execution_plan
    monkeypatch.setattr(SQLiteEngine, "_compile_read_execution_plan",
                        lambda self, *args, **kwargs: compiled.append(args[1]) or compile_plan(self, *args, **kwargs))
    client = InProcessClient(EmbeddedEngine(str(tmp_path / "db.sqlite3")))
    try:
        users = client.db.users
        ids = users.insert_many([{"n": n, "name": f"user {n}"} for n in range(20)]).inserted_ids + ["text"]
        users.insert_one({"_id": "text", "n": 99})
        compiled.clear()
        for _id, n in ((ids[7], 7), ("text", 99)):
            assert list(users.aggregate([{"$match": {"_id": _id}}, {"$limit": 21}, {"$project": {"n": 1}}])) == [
                {"_id": _id, "n": n}]
        assert compiled == []
        assert list(users.aggregate([{"$match": {"_id": ObjectId()}}, {"$limit": 21}])) == []
        # Anything else still compiles its plan.
        compiled.clear()
        pipeline = [{"$match": {"_id": {"$in": ids[:2]}}}, {"$sort": {"n": -1}}]
        assert [doc["n"] for doc in users.aggregate(pipeline)] == [1, 0]
        assert compiled == ["users"]
    finally:
        client.close()


@pytest.mark.emulator
def test_joins_on_id_leave_out_expired_documents(embedded_collection):
    """mongoeco purges documents a TTL index has expired before it reads (a
    real MongoDB deletes them within a minute, so no test there can tell)."""
    collection = embedded_collection
    database = collection.database
    database.sessions.create_index("expires", expireAfterSeconds=0)
    # Inserted last, so that no write purges it before the join reads.
    database.sessions.insert_many([
        {"_id": "new", "expires": datetime.datetime(2999, 1, 1)},
        {"_id": "old", "expires": datetime.datetime(2000, 1, 1)},
    ])
    database.visits.insert_many([{"_id": 1, "session": "old"}, {"_id": 2, "session": "new"}])
    pipeline = [{"$match": {"_id": {"$gte": 1}}},
                {"$lookup": {"from": "sessions", "localField": "session", "foreignField": "_id", "as": "s"}},
                {"$project": {"s": "$s._id"}}]
    assert list(database.visits.aggregate(pipeline)) == [{"_id": 1, "s": []}, {"_id": 2, "s": ["new"]}]


# --- equality on an indexed field ------------------------------------------------


@pytest.mark.emulator
def test_an_indexed_equality_uses_the_index_after_every_write(embedded_collection, sqlite_steps):
    """mongoeco forgot after every write whether a field holds an array, and
    found out again by scanning the collection before it used an index."""
    embedded_collection.create_index("k")
    embedded_collection.insert_many([{"k": f"v{n % 300}", "u": f"v{n % 300}"} for n in range(6000)])
    for run in range(3):
        embedded_collection.insert_one({"other": run})
        sqlite_steps.clear()
        assert embedded_collection.count_documents({"k": f"v{run}"}) == 20
        # Fewer SQLite instructions than the collection has documents.
        assert len(sqlite_steps) < 6000


@pytest.mark.emulator
def test_an_id_lookup_after_a_write_scans_nothing(embedded_collection, sqlite_steps):
    """mongoeco asked, after every write, whether any _id in the collection
    is a decimal (three scans of the payloads) before it answered an _id
    equality; ObjectIds and strings are answered by primary key anyway."""
    embedded_collection.create_index("k")
    ids = [ObjectId() for _ in range(3000)]
    embedded_collection.insert_many([{"_id": _id, "k": n % 100} for n, _id in enumerate(ids)])
    for run, (query, found) in enumerate([({"_id": {"$in": ids[:3]}}, 3), ({"_id": ids[5], "k": 5}, 1)]):
        embedded_collection.insert_one({"other": run})
        sqlite_steps.clear()
        assert len(list(embedded_collection.aggregate([{"$match": query}]))) == found
        assert len(sqlite_steps) < len(ids)


@pytest.mark.emulator
def test_documents_are_decoded_without_inspecting_the_decoder_each_time(embedded_collection, count_calls):
    """mongoeco called inspect.signature on its decoder for every document it
    read: a fifth of the server's time in bulk writes."""
    embedded_collection.insert_many([{"n": n} for n in range(500)])
    inspected = count_calls(inspect, "signature")
    assert len(list(embedded_collection.find({"n": {"$gte": 0}}))) == 500
    assert len(inspected) <= 1


# A plain index has a multikey index beside it in mongoeco; a unique one, or
# one whose first field is k, does not: both are answered by the index.
INDEXES_ON_K = [
    pytest.param(("k", {}), id="plain"),
    pytest.param(([("k", 1), ("_id", 1)], {"unique": True}), id="unique-compound"),
]


@pytest.mark.parametrize("index", [
    pytest.param(("k", {"unique": True}), id="unique"), pytest.param(([("k", 1), ("n", 1)], {}), id="compound"),
])
@pytest.mark.emulator
def test_an_equality_on_a_field_leading_any_index_uses_it(embedded_collection, index):
    """Django's session lookup (a key and an expiry range): the key has a
    unique index, so mongoeco keeps no multikey index for it, and matched it
    by reading every session, 20 ms among 3,000."""
    collection = embedded_collection
    collection.create_index(index[0], **index[1])
    collection.insert_many([{"k": f"v{n}", "n": n} for n in range(50)])
    collection.insert_one({"k": "after a write", "n": -1})
    session_lookup = {"$and": [{"n": {"$gte": 0}}, {"k": "v7"}]}
    plan = collection.database.command("explain", {"find": collection.name, "filter": session_lookup})
    steps = plan["details"]["engine_details"]
    # Seeks the expression index by the key, not only by the collection's name.
    assert len(steps) == 1 and steps[0].startswith("SEARCH documents USING INDEX idx_"), steps
    assert "<expr>=?" in steps[0], steps
    assert [document["n"] for document in collection.find(session_lookup)] == [7]


@pytest.mark.parametrize("index", INDEXES_ON_K)
def test_an_indexed_equality_still_matches_array_elements_and_decimals(collection, index):
    collection.create_index(index[0], **index[1])
    collection.insert_many([{"_id": n, "k": n % 5} for n in range(50)])
    assert collection.count_documents({"k": 3}) == 10
    collection.insert_one({"_id": "array", "k": [3, 4]})
    collection.insert_one({"_id": "decimal", "k": Decimal128("3.0")})
    collection.insert_one({"_id": "double", "k": 3.0})
    found = {document["_id"] for document in collection.find({"k": 3})}
    assert {"array", "decimal", "double"} <= found and len(found) == 13
    assert collection.count_documents({"k": [3, 4]}) == 1


@pytest.mark.parametrize("index", INDEXES_ON_K)
def test_an_indexed_equality_on_plain_values_is_exact(collection, index):
    collection.create_index(index[0], **index[1])
    values = ["a", "[1]", "{}", 3, 3.0, True, 1, None, {"x": 1}, "3"]
    collection.insert_many([{"_id": n, "k": value} for n, value in enumerate(values)] + [{"_id": "missing"}])

    def found(value):
        return sorted(map(str, (document["_id"] for document in collection.find({"k": value}))))

    assert found("a") == ["0"]
    assert found("[1]") == ["1"]
    assert found("{}") == ["2"]
    assert found(3) == ["3", "4"] == found(3.0)
    assert found(1) == ["6"]  # not True
    assert found(True) == ["5"]
    assert found(None) == ["7", "missing"]
    assert found("3") == ["9"]


# --- a filter on _id and $expr -------------------------------------------------


def test_a_conditional_update_by_id_is_exact(collection):
    # Django's filter(pk=..., taken__lt=F("seats")).update(taken=F("taken") + 1).
    ids = [ObjectId() for _ in range(3)]
    collection.insert_many([{"_id": ids[0], "taken": 0, "seats": 1}, {"_id": ids[1], "taken": 0, "seats": 5},
                            {"_id": ids[2], "taken": 0, "seats": 0}])
    take = [{"$set": {"taken": {"$add": ["$taken", 1]}}}]

    def claim(_id):
        conditional = {"$and": [{"_id": _id}, {"$expr": {"$lt": ["$taken", "$seats"]}}]}
        return collection.update_many(conditional, take).modified_count

    assert [claim(ids[0]), claim(ids[0]), claim(ids[2]), claim(ObjectId())] == [1, 0, 0, 0]
    assert [document["taken"] for document in collection.find({}, sort=[("_id", 1)])] == [1, 0, 0]
    assert collection.count_documents({"$and": [{"_id": ids[1]}, {"$expr": {"$lt": ["$taken", "$seats"]}}]}) == 1
    assert collection.find_one({"$and": [{"_id": str(ids[1])}, {"$expr": {"$lt": ["$taken", "$seats"]}}]}) is None


@pytest.mark.emulator
def test_a_conditional_update_by_id_reads_one_document(embedded_collection, documents_read):
    """Django's conditional seat update ANDs the _id with an $expr, which SQL
    cannot say: mongoeco decoded every document of the collection to find it."""
    ids = [ObjectId() for _ in range(2000)]
    embedded_collection.insert_many([{"_id": _id, "taken": 0, "seats": 10} for _id in ids])
    take = [{"$set": {"taken": {"$add": ["$taken", 1]}}}]
    documents_read.clear()
    claim = {"$and": [{"_id": ids[5]}, {"$expr": {"$lt": ["$taken", "$seats"]}}]}
    assert embedded_collection.update_many(claim, take).modified_count == 1
    assert len(documents_read) == 1


def test_fields_set_to_themselves_change_no_document(collection):
    collection.insert_many([{"_id": 1, "a": 2, "b": {"c": 1}}, {"_id": 2, "b": None}, {"_id": 3, "a": [3, 1]}])
    identity = {"$addFields": {"a": "$a", "b": "$b"}}
    assert speed.without_identity_fields([identity, {"$sort": {"a": 1}}]) == [{"$sort": {"a": 1}}]
    assert speed.without_identity_fields([{"$set": {"a": "$b"}}]) == [{"$set": {"a": "$b"}}]
    assert speed.without_identity_fields([{"$set": {"a.b": "$a.b"}}]) == [{"$set": {"a.b": "$a.b"}}]
    assert list(collection.aggregate([identity, {"$sort": {"_id": 1}}])) == list(collection.find().sort("_id", 1))


@pytest.mark.emulator
def test_a_sorted_page_after_djangos_order_fields_is_cut_by_sqlite(embedded_collection, documents_read):
    """django-mongodb-backend sends {$addFields: {f: "$f"}} before each $sort,
    which kept mongoeco from sorting with the index and stopping at the page."""
    embedded_collection.create_index([("created_at", -1)])
    embedded_collection.insert_many([{"created_at": n, "status": ["dropped", "enrolled"][n % 2]} for n in range(3000)])
    documents_read.clear()
    page = list(embedded_collection.aggregate([
        {"$addFields": {"created_at": "$created_at", "_id": "$_id"}},
        {"$sort": {"created_at": -1, "_id": -1}}, {"$limit": 10},
    ]))
    assert [document["created_at"] for document in page] == list(range(2999, 2989, -1))
    assert len(documents_read) < 100
