"""The app through gunicorn while its embedded database is killed (-9) and restarted."""

import json
import os
import signal
import sys
import time
from pathlib import Path

import pymongo
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from stack import embedded_database, gunicorn, manage, prepare, production_env, request  # noqa: E402

from embedded_mongodb import launcher  # noqa: E402


@pytest.fixture
def stack(tmp_path):
    with embedded_database(tmp_path) as (uri, data_path):
        env = production_env(uri, tmp_path, MONGODB_TIMEOUT_MS="1500")
        scenario = prepare(env, students=24, seats=100)
        with gunicorn(env, workers=2) as base:
            yield {"base": base, "env": env, "uri": uri, "data_path": data_path, **scenario}


def enroll(stack, session):
    return request(stack["base"], "POST", f"/courses/{stack['course']}/enroll/", session, timeout=20)[0]


def test_acknowledged_enrollments_survive_a_database_crash_and_the_app_recovers(stack):
    sessions = stack["sessions"]
    acknowledged, refused = [], []

    for session in sessions[:8]:
        assert enroll(stack, session) == 302
        acknowledged.append(session)

    # Crash the database in the middle of the stream.
    pid = launcher.running_server(stack["data_path"])["pid"]
    os.kill(pid, signal.SIGKILL)
    launcher.wait_until_gone(pid, timeout=10)

    started = time.monotonic()
    status, body = request(stack["base"], "GET", "/healthz", timeout=20)
    assert status == 503 and time.monotonic() - started < 10
    assert json.loads(body)["status"] == "unavailable"
    status, body = request(stack["base"], "GET", "/courses/", timeout=20)
    assert status == 503 and b"briefly unavailable" in body and b"Traceback" not in body
    for session in sessions[8:12]:
        status = enroll(stack, session)
        assert status == 503
        refused.append(session)

    # The database returns on the same address; the app notices by itself.
    assert launcher.ensure_server(stack["data_path"], idle_timeout=None) == stack["uri"]
    deadline = time.monotonic() + 30
    while request(stack["base"], "GET", "/healthz")[0] != 200:
        assert time.monotonic() < deadline, "the app did not recover"
        time.sleep(0.5)

    for session in sessions[12:]:
        assert enroll(stack, session) == 302
        acknowledged.append(session)

    student_of = dict(zip(sessions, stack["students"], strict=True))
    with pymongo.MongoClient(stack["uri"]) as client:
        documents = client[stack["env"]["MONGODB_NAME"]].enrollment_enrollment.find({"status": "enrolled"})
        enrolled = {str(document["student_id"]) for document in documents}
    assert {student_of[session] for session in acknowledged} <= enrolled
    assert len(enrolled) == len(acknowledged) + sum(student_of[s] in enrolled for s in refused)
    assert "seat counters agree" in manage(stack["env"], "check_db")
