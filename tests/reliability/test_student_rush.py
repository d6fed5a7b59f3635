"""One student's parallel enrolls through gunicorn (2 workers): the per-student rules hold like seats do."""

import itertools
import sys
from pathlib import Path

import pymongo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from stack import embedded_database, fire, gunicorn, prepare, production_env  # noqa: E402

CREDIT_LIMIT = 18


def clash(a: dict, b: dict) -> bool:
    return bool(set(a["meeting_days"]) & set(b["meeting_days"])) and a["starts_at"] < b["ends_at"] \
        and b["starts_at"] < a["ends_at"]


def test_parallel_enrolls_of_one_student_through_gunicorn_keep_the_credit_limit_and_never_clash(tmp_path):
    with embedded_database(tmp_path) as (uri, _):
        env = production_env(uri, tmp_path)
        scenario = prepare(env, scenario="one_student", courses=8)
        loaded, clashing = scenario["sessions"]
        requests = [(f"/courses/{code}/enroll/", loaded) for code in scenario["courses"]]
        requests += [(f"/courses/{code}/enroll/", clashing) for code in scenario["same_hour"]]
        with gunicorn(env, workers=2) as base:
            statuses = fire(base, "POST", requests)
        with pymongo.MongoClient(uri) as client:
            database = client[env["MONGODB_NAME"]]
            courses = {course["_id"]: course for course in database.catalog_course.find()}
            active = {
                student: [courses[e["course_id"]] for e in database.enrollment_enrollment.find(
                    {"student_id": student, "status": {"$in": ["enrolled", "waitlisted"]}}
                )]
                for student in database.accounts_user.distinct("_id")
            }

    assert [status for status, _ in statuses] == [302] * len(requests)
    # Each got something (a request that waited too long was told to try again).
    assert all(active.values())
    for mine in active.values():
        assert sum(course["credits"] for course in mine) <= CREDIT_LIMIT
        assert not any(clash(a, b) for a, b in itertools.combinations(mine, 2))
