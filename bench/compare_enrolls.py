"""The enroll POST's worker CPU of this checkout against another one, measured at the same time.

    .venv/bin/python bench/compare_enrolls.py --app DIR [--batches 8] [--scale small]

The machine's speed changes from one minute to the next (measure.MachineSpeed),
so two apps measured in turn (bench/run.py, then bench/run.py --app) may differ
by the machine alone. Here both serve at once, each with its own gunicorn (4
sync workers, production settings) on its own copy of the seeded school, and
take batches of enroll POSTs in alternation: each batch 80 students new to the
workers, 4 at a time, one per course among many (bench/run.py's
enroll_batch, as measure_enrolls sends them). After a batch each unmeasured,
it prints each batch's worker CPU per request and the reference work's CPU
meanwhile, then the medians, and writes them to
bench/results/enroll-compare.json.
"""

import argparse
import json
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import app_on_a_copy, seeded_school  # noqa: E402
from measure import MachineSpeed, workers_cpu_seconds  # noqa: E402
from run import ENROLLS_PER_REPEAT, RESULTS, enroll_batch, measured_commit  # noqa: E402
from stack import ROOT, fire, gunicorn, run_script  # noqa: E402


def serve(stack: ExitStack, app: Path, data_path: Path, newcomers: int) -> tuple[str, int, list[str]]:
    """The app on its own copy of the school: (base URL, gunicorn master's pid, new students' sessions)."""
    env, _ = stack.enter_context(app_on_a_copy(app, data_path, prefix="registrar-compare-"))
    sessions = run_script(env, "prepare.py", {"scenario": "sessions", "emails": [], "newcomers": newcomers})
    masters = []
    base = stack.enter_context(gunicorn(env, workers=4, threads=1, app=app, process_out=masters))
    return base, masters[0].pid, sessions["newcomers"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", type=Path, required=True, help="the other checkout")
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    args = parser.parse_args()
    apps = {"this": ROOT, "other": args.app.resolve()}
    data_path, school = seeded_school(args.scale)
    courses = school["other_courses"]
    batches = {name: [] for name in apps}
    with ExitStack() as stack:
        speed = stack.enter_context(MachineSpeed())
        served = {name: serve(stack, app, data_path, ENROLLS_PER_REPEAT * (args.batches + 1))
                  for name, app in apps.items()}
        for batch in range(args.batches + 1):
            # Each app goes first in every other round, so neither always follows the other's load.
            for name in (apps if batch % 2 else reversed(apps)):
                base, master, sessions = served[name]
                jobs = enroll_batch(sessions, courses, batch)
                before, began = workers_cpu_seconds(master), time.monotonic()
                answers = fire(base, "POST", jobs, concurrency=4)
                worker_ms = 1000 * (workers_cpu_seconds(master) - before) / len(jobs)
                if any(status != 302 for status, _ in answers):
                    raise RuntimeError(f"{name}: answers {sorted({status for status, _ in answers})}, not all 302")
                if batch:  # the first is each worker's warm-up
                    reference = speed.median_between(began, time.monotonic())
                    batches[name].append({"worker_cpu_ms": round(worker_ms, 1), "reference_cpu_ms": reference})
                    print(f"batch {batch} {name}: {worker_ms:.1f} ms of worker CPU a request, "
                          f"reference work {reference} ms", flush=True)
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "scale": args.scale,
        "apps": {name: measured_commit(app) for name, app in apps.items()},
        **{name: {"worker_cpu_ms": statistics.median(b["worker_cpu_ms"] for b in runs),
                  "reference_cpu_ms": round(
                      statistics.median(b["reference_cpu_ms"] for b in runs if b["reference_cpu_ms"]), 1),
                  "batches": runs} for name, runs in batches.items()},
    }
    (RESULTS / "enroll-compare.json").write_text(json.dumps(result, indent=2) + "\n")
    for name in apps:
        print(f"{name} ({result['apps'][name]}): median {result[name]['worker_cpu_ms']} ms of worker CPU an enroll "
              f"POST, reference work {result[name]['reference_cpu_ms']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
