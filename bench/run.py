"""Throughput, latency and queries per request of the main pages, the production way.

    .venv/bin/python bench/run.py [--students 2000] [--courses 200] [--connections 4] [--seconds 10]

Starts gunicorn (2 workers) on the embedded database with a seeded school,
measures each page with wrk (Debian's package) at a fixed number of
connections as the logged-in demo student (the admin home as the demo
registrar, the roster as the demo instructor), the enroll POST with a
one-thread asyncio client (each request a different student), a 60-student
grade sheet saved one after another as its instructor does, and the queries
per request with Django's test client. Writes bench/results/latest.json and
latest.md.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from urllib.parse import urlencode  # noqa: E402

from stack import (  # noqa: E402
    CSRF_TOKEN,
    HOST,
    ROOT,
    embedded_database,
    fire,
    gunicorn,
    percentiles_ms,
    prepare,
    production_env,
)

RESULTS = ROOT / "bench" / "results"


def wrk(base: str, path: str, session: str | None, connections: int, seconds: int) -> dict:
    headers = [f"Host: {HOST}", "X-Forwarded-Proto: https"]
    if session:
        headers.append(f"Cookie: sessionid={session}; csrftoken={CSRF_TOKEN}")
    command = ["wrk", "--latency", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s"]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run([*command, base + path], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _milliseconds(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99_ms": _milliseconds(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _milliseconds(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return round(float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 2)


def enroll_posts(base: str, sessions: list[str], courses: list[str], connections: int) -> dict:
    jobs = [(f"/courses/{courses[n % len(courses)]}/enroll/", session) for n, session in enumerate(sessions)]
    began = time.perf_counter()
    results = fire(base, "POST", jobs, concurrency=connections)
    elapsed = time.perf_counter() - began
    return {
        "requests_per_second": round(len(results) / elapsed, 2),
        **percentiles_ms([latency for _, latency in results]),
        "errors": sum(1 for status, _ in results if status != 302),
    }


def grade_sheet_saves(base: str, school: dict, saves: int) -> dict:
    """Save the large class's grade sheet as a draft ``saves`` times in a row, each save changing every row."""
    path = f"/teaching/{school['large_class']}/grades/"
    bodies = [urlencode({"save": "", **{f"grade-{key}": grade for key in school["graded"]}}).encode()
              for grade in ("A", "B")]
    jobs = [(path, school["instructor_session"], bodies[n % 2]) for n in range(saves)]
    began = time.perf_counter()
    results = fire(base, "POST", jobs, concurrency=1)
    elapsed = time.perf_counter() - began
    return {
        "requests_per_second": round(len(results) / elapsed, 2),
        **percentiles_ms([latency for _, latency in results]),
        "errors": sum(1 for status, _ in results if status != 302),
    }


def measure(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="registrar-bench-") as directory, \
            embedded_database(Path(directory)) as (uri, _):
        env = production_env(uri, Path(directory))
        started = time.perf_counter()
        school = prepare(env, scenario="school", students=args.students, courses=args.courses,
                         sessions=args.enrollments)
        seeded = time.perf_counter() - started
        paths = {
            "catalog page": "/courses/",
            "course page": f"/courses/{school['course']}/",
            "My enrollments": "/enrollments/",
            "API course list": "/api/courses/",
            "login page (ceiling)": "/accounts/login/",
            "registrar's admin home": "/admin/",
            "roster (60 students)": f"/teaching/{school['large_class']}/",
        }
        # Each page as the demo student, but the login page anonymously, the admin home
        # (the term dashboard) as the demo registrar and the roster as its instructor.
        sessions = dict.fromkeys(paths, school["session"])
        sessions["login page (ceiling)"] = None
        sessions["registrar's admin home"] = school["registrar_session"]
        sessions["roster (60 students)"] = school["instructor_session"]
        options = {"paths": paths, "sessions": sessions}
        counted = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "queries.py"), json.dumps(options)],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )
        if counted.returncode:
            raise SystemExit(f"counting queries failed:\n{counted.stderr}")
        queries = json.loads(counted.stdout)
        rows = {}
        with gunicorn(env, workers=2) as base:
            for name, path in paths.items():
                rows[name] = {"path": path, **wrk(base, path, sessions[name], args.connections, args.seconds),
                              "queries": queries[name]}
            rows["enroll POST"] = {"path": "/courses/<code>/enroll/",
                                   **enroll_posts(base, school["newcomers"], school["extra_courses"], args.connections),
                                   "queries": None}
            rows["grade sheet save (60 students)"] = {"path": "/teaching/<code>/grades/",
                                                      **grade_sheet_saves(base, school, args.grade_saves),
                                                      "queries": None}
    return {
        "rows": rows,
        "setup": {
            "students": args.students, "courses": args.courses, "connections": args.connections,
            "seconds_per_page": args.seconds, "gunicorn_workers": 2, "database": "embedded (mongoeco, SQLite)",
            "seed_seconds": round(seeded, 1), "machine": f"{os.cpu_count()} cores, {platform.machine()}",
            "python": platform.python_version(),
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                     text=True).stdout.strip(),
            "date": time.strftime("%Y-%m-%d"),
        },
    }


def markdown(result: dict) -> str:
    setup = result["setup"]
    lines = [
        f"Measured {setup['date']} at {setup['commit']} on {setup['machine']}, Python {setup['python']}: "
        f"gunicorn with {setup['gunicorn_workers']} workers, {setup['database']} database, "
        f"{setup['courses']} courses and {setup['students']} students, {setup['connections']} connections.",
        "",
        "| request | requests/s | p50 ms | p99 ms | queries/request | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in result["rows"].items():
        queries = "—" if row["queries"] is None else row["queries"]
        lines.append(f"| {name} | {row['requests_per_second']:.1f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} "
                     f"| {queries} | {row['errors']} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--enrollments", type=int, default=200, help="enroll POSTs to time")
    parser.add_argument("--grade-saves", type=int, default=40, help="60-student grade sheet saves to time")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 1
    result = measure(args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(markdown(result))
    print(markdown(result))
    print(f"How: bench/run.py --students {args.students} --courses {args.courses} --connections {args.connections} "
          f"--seconds {args.seconds}; seeding took {result['setup']['seed_seconds']} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
