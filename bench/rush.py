"""Registration rush: N students press Enroll on a course with C seats at the same instant.

    .venv/bin/python bench/rush.py --students 1000 --seats 100 [--workers N --threads T] [--json out.json]

Starts the app the production way (gunicorn with gunicorn.conf.py's workers
unless --workers/--threads say otherwise, embedded database), opens N
connections at once, one enroll request on each, then checks the database: exactly
C enrolled, N−C waitlisted, in order, no duplicate, no 5xx. Exit code 1 when
any check fails.
"""

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pymongo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import embedded_database, fire, gunicorn, percentiles_ms, prepare, production_env  # noqa: E402


def rush(students: int, seats: int, workers: int | None, threads: int | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="registrar-rush-") as directory, \
            embedded_database(Path(directory)) as (uri, _):
        env = production_env(uri, Path(directory))
        scenario = prepare(env, students=students, seats=seats)
        path = f"/courses/{scenario['course']}/enroll/"
        with gunicorn(env, workers=workers, threads=threads) as base:
            began = time.perf_counter()
            results = fire(base, "POST", [(path, session) for session in scenario["sessions"]])
            elapsed = time.perf_counter() - began
        with pymongo.MongoClient(uri) as client:
            documents = list(client[env["MONGODB_NAME"]].enrollment_enrollment.find())
    statuses = Counter(status for status, _ in results)
    by_status = Counter(document["status"] for document in documents)
    pairs = Counter((document["student_id"], document["course_id"]) for document in documents)
    waitlist = sorted(
        (d for d in documents if d["status"] == "waitlisted"), key=lambda d: (d["waitlisted_at"], d["_id"])
    )
    report = {
        "students": students, "seats": seats, "workers": workers, "threads": threads,
        "seconds": round(elapsed, 2), "enrollments_per_second": round(students / elapsed, 1),
        **percentiles_ms([latency for _, latency in results]),
        "http_statuses": dict(statuses), "enrolled": by_status["enrolled"], "waitlisted": by_status["waitlisted"],
        "duplicates": sum(count - 1 for count in pairs.values() if count > 1),
        "waitlist_in_order": [d["waitlisted_at"] for d in waitlist] == sorted(d["waitlisted_at"] for d in waitlist),
    }
    report["ok"] = (
        report["enrolled"] == seats and report["waitlisted"] == students - seats and report["duplicates"] == 0
        and set(statuses) == {302} and report["waitlist_in_order"]
    )
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--workers", type=int, help="default: gunicorn.conf.py's")
    parser.add_argument("--threads", type=int, help="default: gunicorn.conf.py's")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    report = rush(args.students, args.seats, args.workers, args.threads)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
