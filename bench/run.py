"""Registration day, measured: the main pages while enrolls and drops stream in, at two school sizes.

    .venv/bin/python bench/run.py [--scale small|large|both] [--repeats 5] [--stream-seconds 5]
                                  [--seconds 3] [--connections 4] [--stream-rate 20]

small is today's school (2,000 students, 200 courses), large a real one
(20,000 students, 2,000 courses, four terms of history, ~137,000
enrollments); both are seeded by bench/school.py once and kept in
bench/.data/ (bench/data.py). For each scale: the embedded database starts
on a copy of the kept file (its start is timed), gunicorn serves the app the
production way (gunicorn.conf.py's defaults), and each page is measured with
wrk as its user, ``--repeats`` times in turn (runs of ``--stream-seconds``
under the stream, ``--seconds`` quiet), first while a second gunicorn
takes a stream of enrolls and drops at ``--stream-rate`` per second against
the same courses (every one writes a course, so the database's cached reads
of the catalog are emptied as on registration day), then quiet. Reported per
page: requests/s, p50 and p99 (min / median / max over the repeats), queries
per request, and CPU per request of the Django workers and of the database
server, read from /proc (the workers' CPU is what stays with a real
MongoDB). Results go to bench/results/<scale>.json, and with every scale
measured so far to bench/results/latest.md and the README's Performance
section.

``--app DIR`` measures another checkout of the app (a baseline) with this
harness; its results go to bench/results/baseline-<scale>.json, and later
runs compare their worker CPU with it.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import copy_of, seeded_school  # noqa: E402
from measure import (  # noqa: E402
    MachineSpeed,
    TaskLog,
    WriteStream,
    cpu_seconds,
    machine_cpu_seconds,
    workers_cpu_seconds,
    wrk,
)
from stack import (  # noqa: E402
    ROOT,
    embedded_database,
    fire,
    free_port,
    gunicorn,
    percentiles_ms,
    production_env,
    release,
    request,
    run_script,
    task_worker,
)

RESULTS = ROOT / "bench" / "results"
README = ROOT / "README.md"
README_START, README_END = "<!-- bench/run.py: registration day -->", "<!-- /bench/run.py -->"

# (name, path, whose session: a student of bench/school.py, the registrar, or None for anonymous)
PAGES = [
    ("catalog page", "/courses/", "short"),
    ("course page", "/courses/{course_with_prerequisite}/", "short"),
    ("My enrollments, 5 enrollments", "/enrollments/", "short"),
    ("My enrollments, 65 enrollments over 17 terms", "/enrollments/", "long"),
    ("API course list", "/api/courses/", "short"),
    ("login page", "/accounts/login/", None),
    ("admin home (the term at a glance)", "/admin/", "registrar"),
    ("admin: enrollments", "/admin/enrollment/enrollment/", "registrar"),
    ("admin: users", "/admin/accounts/user/", "registrar"),
    ("admin: courses", "/admin/catalog/course/", "registrar"),
]
# Pages whose view may queue a task (the term at a glance, when its figures are old).
QUEUE_TASKS = {"admin home (the term at a glance)"}
STUDENT_PAGES = ["catalog page", "course page", "My enrollments, 5 enrollments",
                 "My enrollments, 65 enrollments over 17 terms", "API course list"]
# Enough that one slow request moves a run's rate by a few percent, not by a fifth.
ENROLLS_PER_REPEAT = 80
# The write stream runs this long before its cost is measured and the pages' runs start: in its
# first minute or so every page ran slower (the first two repeats were the slowest for most pages).
STREAM_WARM_UP_SECONDS = 60
# The stream alone, measured this long for its cost to the database: about a hundred of its requests.
STREAM_COST_SECONDS = 5
# Runs of a page run again because the task worker started a task during them (measure_pages).
MAX_REPEATS = 2


def measure_scale(scale: str, args) -> dict:
    data_path, school = seeded_school(scale)
    load_average = os.getloadavg()[0]  # before anything of this run starts
    with tempfile.TemporaryDirectory(prefix="registrar-bench-") as directory:
        directory = Path(directory)
        copy = copy_of(data_path, directory)
        began = time.perf_counter()
        with embedded_database(directory, copy) as (uri, _):
            start_seconds = time.perf_counter() - began
            database_pid = json.loads(copy.with_suffix(".sqlite3.json").read_text())["pid"]
            log = RESULTS / f"{scale}.log"
            env = production_env(uri, directory, BENCH_APP=str(args.app), BENCH_LOG=str(log))
            tasks = TaskLog(log)
            release(env, app=args.app)
            people = run_script(env, "prepare.py", {
                "scenario": "sessions", "emails": [*school["students"].values(), *school["stream_students"]],
                "newcomers": ENROLLS_PER_REPEAT * (args.repeats + 1),
                "tried": school["stream_students"], "courses": school["stream_courses"],
            })
            sessions = {name: people["sessions"][email] for name, email in school["students"].items()}
            pages = {
                name: {"path": path.format(**school), "session": sessions.get(who)} for name, path, who in PAGES
                if not args.pages or name in args.pages
            }
            queries = run_script(env, "queries.py", {"pages": pages})
            masters = []
            with gunicorn(env, workers=None, threads=None, app=args.app, process_out=masters) as base, \
                    gunicorn({**env, "GUNICORN_BIND": f"127.0.0.1:{free_port()}"}, workers=2, threads=1,
                             app=args.app) as stream_base, task_worker(env, app=args.app), MachineSpeed() as speed:
                probe = Probe(masters[0].pid, database_pid, speed)
                warm_up(base, pages, args)
                wait_for_the_term_at_a_glance(base, sessions["registrar"])
                stream_sessions = [people["sessions"][email] for email in school["stream_students"]]
                stream = WriteStream(stream_base, stream_sessions, school["stream_courses"], args.stream_rate)
                with stream:
                    time.sleep(STREAM_WARM_UP_SECONDS)
                    stream_cost = probe.subtract_stream(stream, STREAM_COST_SECONDS)
                    under_stream = measure_pages(base, pages, args, probe, tasks, args.stream_seconds)
                    enroll = measure_enrolls(base, people["newcomers"], school["other_courses"], args, probe, tasks)
                    drain(base, args.connections)
                    stream_cost_at_end = probe.stream_cost(stream, STREAM_COST_SECONDS)
                drain(base, args.connections)
                settled = settle()
                warm_up(base, pages, args)
                quiet = measure_pages(base, pages, args, probe, tasks, args.seconds)
    for rows in (under_stream, quiet):
        for name, row in rows.items():
            row["queries"] = queries[name]
    return {
        "scale": scale,
        "school": {"students": people["students"], "courses": school["courses"], "terms": school["terms"],
                   "enrollments": school["enrollments"]},
        "seed_seconds": school["seed_seconds"],
        "database_start_seconds": round(start_seconds, 1),
        "settled_after_stream_seconds": settled,
        "stream": {"rate": args.stream_rate, "sent": stream.sent, "skipped": stream.skipped,
                   "statuses": stream.statuses,
                   "database_cpu": {"at_start": stream_cost, "at_end": stream_cost_at_end}},
        "under_stream": {**under_stream, "enroll POST": enroll},
        "quiet": quiet,
        "setup": setup(args, load_average),
    }


class Probe:
    """What a run cost: CPU seconds of the page workers and of the database server, less what the
    write stream's requests cost the database (``subtract_stream``), and how fast the machine ran
    meanwhile (``MachineSpeed``)."""

    def __init__(self, master: int, database: int, speed: MachineSpeed):
        self.master, self.database, self.speed = master, database, speed
        self.stream, self.per_stream_request = None, 0.0

    def start(self) -> dict:
        return {"at": time.monotonic(), **self._read()}

    def since(self, start: dict) -> dict:
        """A run's costs, from ``start()`` taken when it began to now."""
        now = self._read()
        return {
            "worker_cpu_s": now["workers"] - start["workers"],
            "database_cpu_s": max(now["database"] - start["database"], 0.0),
            "reference_cpu_ms": self.speed.median_between(start["at"], time.monotonic()),
        }

    def _read(self) -> dict:
        answered = self.stream.answered if self.stream else 0
        return {"workers": workers_cpu_seconds(self.master),
                "database": cpu_seconds([self.database]) - self.per_stream_request * answered}

    def subtract_stream(self, stream: WriteStream, seconds: float) -> dict:
        """From now on, read the database's CPU less the stream's, at its cost per request measured
        now. Per request, not per second: while a page keeps the app busy, the stream's requests wait
        and some are skipped (measure.MAX_IN_FLIGHT), so a second of it costs less than alone."""
        cost = self.stream_cost(stream, seconds)
        self.stream, self.per_stream_request = stream, cost["ms_per_request"] / 1000
        return cost

    def stream_cost(self, stream: WriteStream, seconds: float) -> dict:
        """What the stream alone costs the database: CPU ms per request answered, and per second."""
        answered, before = stream.answered, cpu_seconds([self.database])
        time.sleep(seconds)
        spent, requests = cpu_seconds([self.database]) - before, stream.answered - answered
        return {"ms_per_request": round(1000 * spent / max(requests, 1), 2),
                "ms_per_second": round(1000 * spent / seconds, 1)}


def wait_for_the_term_at_a_glance(base: str, registrar: str, patience: float = 300) -> None:
    """Wait until the task worker has worked out the admin home's first figures (queued
    by its first view): the registrar sees them from then on, and the database's CPU
    measured for the write stream is the stream's, not that working-out's. (An app
    that works them out in the request, a baseline, has them already or never.)"""
    give_up = time.monotonic() + patience
    while time.monotonic() < give_up and b"Figures as of" not in request(base, "GET", "/admin/", registrar)[1]:
        time.sleep(2)


def warm_up(base: str, pages: dict, args) -> None:
    """Each page for a second, unmeasured: at the start, each worker's first requests
    load templates and caches; after the write stream, each page's first request reads
    what the writes changed, which the quiet table (repeated reads) is not about."""
    for page in pages.values():
        wrk(base, page["path"], page["session"], args.connections, 1)


def drain(base: str, connections: int, patience: float = 90) -> None:
    """Wait until every worker answers again: a page whose requests outlast its run keeps
    the workers (and the database) busy after wrk stops, and would be measured as the
    next page's slowness. Its leftover work is counted as its own."""
    give_up = time.monotonic() + patience
    while time.monotonic() < give_up:
        answers = fire(base, "GET", [("/healthz", "")] * connections, timeout=2)
        if all(status == 200 for status, _ in answers):
            return


def settle(busy_below: float = 0.1, quiet_seconds: int = 3, patience: float = 60) -> float:
    """Wait until the machine has been idle (its cores less than ``busy_below`` busy) for
    ``quiet_seconds`` in a row, and say how long that took: what the write stream left behind
    (the kernel writing the database's pages out, a process collecting its garbage) would
    slow the quiet table's first runs. In one run of the large school, every page's first quiet
    run was its slowest, the login page's too, which reads nothing from the database."""
    began = time.monotonic()
    quiet = 0
    before = machine_cpu_seconds()
    while quiet < quiet_seconds and time.monotonic() - began < patience:
        time.sleep(1)
        now = machine_cpu_seconds()
        quiet = quiet + 1 if (now[0] - before[0]) / max(now[1] - before[1], 1e-9) < busy_below else 0
        before = now
    return round(time.monotonic() - began, 1)


def measure_pages(base: str, pages: dict, args, probe: Probe, tasks: TaskLog, seconds: float) -> dict:
    """Every page ``args.repeats`` times for ``seconds``, in turn (so that a slow moment of the machine hits them all).

    Each run starts while the task worker is idle, and a run during which it started a
    task is run again (``repeated``): the term at a glance, which an admin home view
    queues when its figures are a minute old (every few minutes on the large school), keeps
    the database busy for seconds (about 20 on the large school), and would slow
    whichever run it fell in, most often the admin home's own. That working-out is the
    task worker's cost, at most a tenth of the database's time (enrollment.dashboard)."""
    runs = {name: [] for name in pages}
    repeated = dict.fromkeys(pages, 0)
    for _ in range(args.repeats):
        for name, page in pages.items():
            for attempt in range(1 + MAX_REPEATS):
                tasks.wait_until_idle()
                starts = tasks.started()
                begun = probe.start()
                result = wrk(base, page["path"], page["session"], args.connections, seconds)
                overlapped = tasks.started() > starts
                drain(base, args.connections)
                costs = probe.since(begun)
                if name in QUEUE_TASKS:
                    time.sleep(TaskLog.POLL_SECONDS + 0.5)  # what the run queued has started
                if not overlapped or attempt == MAX_REPEATS:
                    break
                repeated[name] += 1
            runs[name].append(result | costs)
    return {name: summary(page_runs) | {"path": pages[name]["path"], "repeated": repeated[name]}
            for name, page_runs in runs.items()}


def measure_enrolls(base: str, sessions: list[str], courses: list[str], args, probe: Probe, tasks: TaskLog) -> dict:
    """Enroll POSTs, each a different student in one of many courses, ``args.connections`` at a time,
    after a batch unmeasured: as warm_up does for the pages, since the workers' first enrolls load
    what later ones find ready (the first measured batch was the slowest on the large school, at
    24.6 ms of worker CPU a request against 16.0-17.7 for the others)."""
    fire(base, "POST", enroll_batch(sessions, courses, args.repeats), concurrency=args.connections)
    runs = []
    for repeat in range(args.repeats):
        tasks.wait_until_idle()
        begun = probe.start()
        results = fire(base, "POST", enroll_batch(sessions, courses, repeat), concurrency=args.connections)
        costs = probe.since(begun)
        runs.append({
            "requests": len(results), "requests_per_second": len(results) / (time.monotonic() - begun["at"]),
            **percentiles_ms([latency for _, latency in results]),
            "errors": sum(1 for status, _ in results if status != 302),
        } | costs)
    return summary(runs) | {"path": "/courses/<code>/enroll/"}


def enroll_batch(sessions: list[str], courses: list[str], batch: int) -> list[tuple[str, str]]:
    """The ``batch``-th ENROLLS_PER_REPEAT enroll POSTs: (path, session) each, every student of the
    batch new, their courses spread over ``courses``."""
    students = sessions[batch * ENROLLS_PER_REPEAT : (batch + 1) * ENROLLS_PER_REPEAT]
    return [(f"/courses/{courses[(batch * 7 + n) % len(courses)]}/enroll/", session)
            for n, session in enumerate(students)]


def summary(runs: list[dict]) -> dict:
    """min / median / max over the runs; CPU per request over all of them (a run's few
    requests would make its own ratio coarse: /proc counts CPU in 10 ms ticks)."""
    answered = [run for run in runs if run["requests"]] or runs

    def spread(key: str, over: list[dict]) -> dict:
        values = [run[key] for run in over]
        return {"min": round(min(values), 2), "median": round(statistics.median(values), 2),
                "max": round(max(values), 2)}

    requests = sum(run["requests"] for run in runs)
    return {
        "requests_per_second": spread("requests_per_second", runs), "p50_ms": spread("p50_ms", answered),
        "p99_ms": spread("p99_ms", answered),
        "worker_cpu_ms": round(1000 * sum(run["worker_cpu_s"] for run in runs) / max(requests, 1), 2),
        "database_cpu_ms": round(1000 * sum(run["database_cpu_s"] for run in runs) / max(requests, 1), 2),
        "requests": requests, "errors": sum(run["errors"] for run in runs),
        "runs_requests_per_second": [round(run["requests_per_second"], 1) for run in runs],
        # A slow run whose requests cost the workers more CPU each met a slower machine, not a busier one;
        # the reference work's CPU during the run (MachineSpeed) says so without the app.
        "runs_worker_cpu_ms": [round(1000 * run["worker_cpu_s"] / max(run["requests"], 1), 1) for run in runs],
        "runs_reference_cpu_ms": [run["reference_cpu_ms"] for run in runs],
    }


def setup(args, load_average: float) -> dict:
    app = Path(args.app)
    workers = subprocess.run(
        [sys.executable, "-c", "import runpy; c = runpy.run_path('gunicorn.conf.py'); "
                               "print(c['workers'], c.get('threads', 1), c.get('worker_class', 'sync'))"],
        cwd=app, capture_output=True, text=True, env={k: v for k, v in os.environ.items()
                                                      if k not in ("WEB_CONCURRENCY", "GUNICORN_THREADS")},
    ).stdout.split()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "commit": measured_commit(app),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}", "python": platform.python_version(),
        "load_average_at_start": load_average,
        "gunicorn": {"workers": workers[0], "threads": workers[1], "worker_class": workers[2]} if workers else {},
        "connections": args.connections, "repeats": args.repeats,
        "seconds_per_run": {"under_stream": args.stream_seconds, "quiet": args.seconds},
    }


# --- the report --------------------------------------------------------------------


def markdown(results: dict, baselines: dict) -> str:
    lines = []
    for scale, result in results.items():
        s, school = result["setup"], result["school"]
        gunicorn_setup = s["gunicorn"]
        lines += [
            f"#### {scale.capitalize()} school: {school['students']:,} students, {school['courses']:,} courses, "
            f"{school['enrollments']:,} enrollments over {school['terms']} terms",
            "",
            f"Measured {s['date']} at {s['commit']} ({s['machine']}, Python {s['python']}, load average "
            f"{s['load_average_at_start']:.1f} at the start): gunicorn {gunicorn_setup.get('workers')} workers x "
            f"{gunicorn_setup.get('threads')} threads ({gunicorn_setup.get('worker_class')}), wrk at "
            f"{s['connections']} connections, {s['repeats']} runs per page of {s['seconds_per_run']['under_stream']} s "
            f"under the stream and {s['seconds_per_run']['quiet']} s quiet, in turn, each "
            f"started while the task worker was idle{repeats_said(result)}; "
            f"embedded database started on the data file in {result['database_start_seconds']} s"
            f"{machine_speed_said(result)}.",
            "",
            f"Under the write stream ({result['stream']['rate']} enrolls and drops per second asked, "
            f"{result['stream']['sent']} sent, {result['stream'].get('skipped', 0)} skipped while 8 were waiting, "
            f"answers {result['stream']['statuses']}; {stream_cost_said(result['stream'])}):",
            "",
            *table(result["under_stream"], baselines.get(scale, {}).get("under_stream", {})),
            "",
            "Quiet (nothing written, after a second of each page unmeasured: the database's query cache answers "
            "the repeated reads):",
            "",
            *table(result["quiet"], baselines.get(scale, {}).get("quiet", {})),
            "",
        ]
    if {"small", "large"} <= results.keys():
        lines += ratios(results["small"], results["large"])
    return "\n".join(lines) + "\n"


def stream_cost_said(stream: dict) -> str:
    """What the stream alone cost the database, when the runs started and when they ended (had it
    drifted, what is subtracted from the pages' figures would be off)."""
    start, end = stream["database_cpu"]["at_start"], stream["database_cpu"]["at_end"]
    return (f"alone, it cost the database {start['ms_per_request']} ms of CPU per request "
            f"({start['ms_per_second']} ms a second) when the runs started, subtracted below for each of its "
            f"requests answered during a run, and {end['ms_per_request']} ms ({end['ms_per_second']} a second) "
            f"when they ended")


def machine_speed_said(result: dict) -> str:
    """How fast the machine ran during the runs (measure.MachineSpeed), and how the runs at its slow
    speed fared against those at its fast one: each run's rate as a share of its page's median."""
    runs = []
    for mode in ("under_stream", "quiet"):
        for row in result[mode].values():
            if "runs_reference_cpu_ms" not in row:  # measured before the machine's speed was
                continue
            median = statistics.median(row["runs_requests_per_second"])
            runs += [(rate / median, reference) for rate, reference in
                     zip(row["runs_requests_per_second"], row["runs_reference_cpu_ms"], strict=True) if reference]
    if not runs:
        return ""
    references = sorted(reference for _, reference in runs)
    # The fast speed is the usual one; a run whose median sample took 30% more met the slow one most of the time.
    slow_above = round(1.3 * references[len(references) // 4], 1)
    fast = [share for share, reference in runs if reference <= slow_above]
    slow = [share for share, reference in runs if reference > slow_above]
    return (f"; a fixed piece of Python (measure.MachineSpeed) took {references[0]}–{references[-1]} ms of CPU "
            f"during a run (the median of its samples), the host running the cores at two speeds: of the "
            f"{len(fast)} runs where it took at most {slow_above} ms, {sum(share < 0.8 for share in fast)} fell "
            f"below 80% of their page's median rate; of the {len(slow)} slower ones, "
            f"{sum(share < 0.8 for share in slow)}")


def measured_commit(app: Path) -> str:
    """The checkout's commit, marked when its code differs from it (the results it writes and the
    Markdown, the README's tables among it, aside)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=app, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "baseline"
    changed = git("status", "--porcelain", "--", ".", ":!bench/results", ":!*.md")
    return f"{commit} with uncommitted changes" if changed else commit


def repeats_said(result: dict) -> str:
    """Which runs were run again because the task worker started a task during them (measure_pages)."""
    rows = [(name, row) for mode in ("under_stream", "quiet") for name, row in result[mode].items()]
    if not any("repeated" in row for _, row in rows):  # measured before runs were run again
        return ""
    repeated = Counter()
    for name, row in rows:
        repeated[name] += row.get("repeated", 0)
    if not any(repeated.values()):
        return ", and none had to run again"
    said = ", ".join(f"{count} of {name}" for name, count in repeated.items() if count)
    return f", and run again if the worker started a task during it ({said})"


def table(rows: dict, baseline: dict) -> list[str]:
    lines = [
        "| request | requests/s min / median / max | p50 ms | p99 ms | queries | worker CPU ms/request "
        "| database CPU ms/request | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in rows.items():
        rps = row["requests_per_second"]
        cpu = f"{cpu_ms(row['worker_cpu_ms']):.1f}"
        if name in baseline:
            before = cpu_ms(baseline[name]["worker_cpu_ms"])
            cpu += f" (was {before:.1f}, {100 * (cpu_ms(row['worker_cpu_ms']) - before) / before:+.0f}%)"
        queries = "—" if row.get("queries") is None else row["queries"]
        lines.append(
            f"| {name} | {rps['min']:.0f} / {rps['median']:.0f} / {rps['max']:.0f} | {row['p50_ms']['median']:.1f} "
            f"| {row['p99_ms']['median']:.1f} | {queries} | {cpu} | {cpu_ms(row['database_cpu_ms']):.1f} "
            f"| {row['errors']} |"
        )
    return lines


def cpu_ms(value) -> float:
    """CPU per request: over all runs (a number), or the median of per-run figures (older results)."""
    return value["median"] if isinstance(value, dict) else value


def ratios(small: dict, large: dict) -> list[str]:
    lines = ["Large / small, under the write stream (medians):", "",
             "| request | p50 ratio | worker CPU ratio | database CPU ratio |", "| --- | ---: | ---: | ---: |"]
    for name, row in large["under_stream"].items():
        if name not in small["under_stream"]:
            continue
        base = small["under_stream"][name]
        pairs = [(row["p50_ms"]["median"], base["p50_ms"]["median"])] + [
            (cpu_ms(row[key]), cpu_ms(base[key])) for key in ("worker_cpu_ms", "database_cpu_ms")
        ]
        cells = [f"{large_value / small_value:.2f}" if small_value else "—" for large_value, small_value in pairs]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return [*lines, ""]


def write_reports(scales: list[str], baseline_run: bool) -> str:
    prefix = "baseline-" if baseline_run else ""
    results = {scale: json.loads((RESULTS / f"{prefix}{scale}.json").read_text())
               for scale in ("small", "large") if (RESULTS / f"{prefix}{scale}.json").exists()}
    baselines = {} if baseline_run else {
        scale: json.loads((RESULTS / f"baseline-{scale}.json").read_text())
        for scale in results if (RESULTS / f"baseline-{scale}.json").exists()
    }
    text = markdown(results, baselines)
    (RESULTS / f"{prefix}latest.md").write_text(text)
    if not baseline_run and README_START in README.read_text():
        readme = README.read_text()
        before, rest = readme.split(README_START, 1)
        after = rest.split(README_END, 1)[1]
        README.write_text(f"{before}{README_START}\n{text}{README_END}{after}")
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=["small", "large", "both"], default="small")
    parser.add_argument("--repeats", type=int, default=5)
    # Under the stream the machine is busier and less steady, so its runs are longer.
    parser.add_argument("--stream-seconds", type=float, default=5, help="each run under the write stream")
    parser.add_argument("--seconds", type=float, default=3, help="each quiet run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--stream-rate", type=float, default=20, help="enrolls and drops per second")
    parser.add_argument("--pages", nargs="*", help="only these pages (by name)")
    parser.add_argument("--app", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    args = parser.parse_args()
    args.app = args.app.resolve()
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 1
    baseline_run = args.app != ROOT
    scales = ["small", "large"] if args.scale == "both" else [args.scale]
    RESULTS.mkdir(exist_ok=True)
    for scale in scales:
        began = time.perf_counter()
        result = measure_scale(scale, args)
        result["setup"]["run_seconds"] = round(time.perf_counter() - began)
        name = f"{'baseline-' if baseline_run else ''}{scale}.json"
        (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(write_reports(scales, baseline_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
