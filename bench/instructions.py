"""Instructions the Django process executes per request, counted by valgrind: the worker CPU of each
benchmarked page without the machine's speed in it.

    .venv/bin/python bench/instructions.py [--app DIR] [--pages NAME ...] [--requests 10] [--scale small]

The host runs this VM's cores at two speeds (measure.MachineSpeed), so CPU seconds per request move
by up to 1.8x with nothing changed, and two apps measured minutes apart may differ by the machine
alone. Callgrind counts the instructions a process executes: the same for the same work however fast
the core runs, and whatever else the machine does. For this checkout (and the one given with --app,
at the same time: the counts do not depend on it), on its own copy of the seeded school, one process
with production settings serves each page through the app's WSGI application as a gunicorn worker
does (bench/serve_in_process.py), under callgrind with counting switched on only for the page's
measured requests, after a few unmeasured ones. The pages and sessions are bench/run.py's, and the
enroll POST is each request a student new to the process, as bench/run.py sends it. What the database
does runs in its own process and is not counted: the figure is the part that stays on a real MongoDB.
Prints a table, with the change against --app, and writes bench/results/instructions-<scale>.json.
"""

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import app_on_a_copy, seeded_school  # noqa: E402
from run import ENROLLS_PER_REPEAT, PAGES, RESULTS, enroll_batch, measured_commit  # noqa: E402
from stack import CSRF_TOKEN, HOST, ROOT, run_script  # noqa: E402

ENROLL = "enroll POST"
WARM_UP = 3


def count(app: Path, data_path: Path, school: dict, names: list[str], requests: int) -> dict:
    """{page name: instructions per request} for app on its own copy of the school."""
    with app_on_a_copy(app, data_path, prefix="registrar-instructions-") as (env, directory):
        people = run_script(env, "prepare.py", {
            "scenario": "sessions", "emails": list(school["students"].values()), "newcomers": ENROLLS_PER_REPEAT,
        })
        sessions = {name: people["sessions"][email] for name, email in school["students"].items()}
        pages = [
            {"name": name, "method": "GET",
             "requests": [[path.format(**school), sessions.get(who)]] * (WARM_UP + requests)}
            for name, path, who in PAGES if name in names
        ]
        if ENROLL in names:
            jobs = enroll_batch(people["newcomers"], school["other_courses"], 0)[: WARM_UP + requests]
            pages.append({"name": ENROLL, "method": "POST", "requests": jobs})
        options = {"pages": pages, "warm_up": WARM_UP, "host": HOST, "csrf_token": CSRF_TOKEN}
        return serve_counted(env, options, directory)


def serve_counted(env: dict, options: dict, directory: Path) -> dict:
    """Run serve_in_process.py under callgrind, counting each page's measured requests only."""
    errors = directory / "serve_in_process.stderr"
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={directory / 'callgrind.out'}",
             sys.executable, str(ROOT / "bench" / "serve_in_process.py"), json.dumps(options)],
            cwd=ROOT, env={**env, "PYTHONHASHSEED": "0"}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=stderr, text=True,
        )

    def failed(what: str) -> RuntimeError:
        process.kill()
        process.wait()
        return RuntimeError(f"{what}; serve_in_process.py's last words:\n{errors.read_text()[-3000:]}")

    def control(*args: str) -> str:
        done = subprocess.run(["callgrind_control", *args, str(process.pid)], capture_output=True, text=True)
        if done.returncode:
            raise failed(f"callgrind_control {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def step(expected: str, then: list[tuple[str, ...]]) -> list[str]:
        line = process.stdout.readline().strip()
        if line != expected:
            raise failed(f"serve_in_process.py said {line!r}, not {expected!r}")
        said = [control(*args) for args in then]
        process.stdin.write("go\n")
        process.stdin.flush()
        return said

    counted = {}
    try:
        for page in options["pages"]:
            step(f"ready {page['name']}", [("--zero",), ("--instr=on",)])
            totals, _ = step(f"done {page['name']}", [("-e", "Ir"), ("--instr=off",)])
            measured = len(page["requests"]) - options["warm_up"]
            counted[page["name"]] = round(instructions_of(totals) / measured)
    except BaseException:
        process.kill()
        raise
    finally:
        process.communicate(timeout=600)
    if process.returncode:
        raise failed(f"serve_in_process.py ended with {process.returncode}")
    return counted


def instructions_of(totals: str) -> int:
    """The instructions of every thread in ``callgrind_control -e Ir``'s answer: one line per thread
    ("Th 1  1,234", "Th12  1,234"), pymongo's monitors running beside the requests."""
    threads = re.findall(r"^\s*Th\s*\d+\s+([\d,]+)\s*$", totals, re.MULTILINE)
    if not threads:
        raise RuntimeError(f"no instruction counts in callgrind_control's answer: {totals!r}")
    return sum(int(count.replace(",", "")) for count in threads)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", type=Path, help="another checkout, counted at the same time")
    parser.add_argument("--pages", nargs="+", metavar="NAME", help="only these pages (bench/run.py's names)")
    parser.add_argument("--requests", type=int, default=10, help="measured requests per page")
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    if args.requests < 1 or WARM_UP + args.requests > ENROLLS_PER_REPEAT:
        parser.error(f"--requests goes from 1 to {ENROLLS_PER_REPEAT - WARM_UP} (the enroll POST's new students)")
    names = args.pages or [*(name for name, _, _ in PAGES), ENROLL]
    apps = {"this": ROOT, **({"other": args.app.resolve()} if args.app else {})}
    data_path, school = seeded_school(args.scale)
    began = time.monotonic()
    with ThreadPoolExecutor(len(apps)) as pool:
        futures = {name: pool.submit(count, app, data_path, school, names, args.requests)
                   for name, app in apps.items()}
        counted = {name: future.result() for name, future in futures.items()}
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "scale": args.scale, "requests": args.requests,
        "apps": {name: measured_commit(app) for name, app in apps.items()},
        "instructions_per_request": counted, "seconds": round(time.monotonic() - began),
    }
    (RESULTS / f"instructions-{args.scale}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    return 0


def table(result: dict) -> str:
    counted = result["instructions_per_request"]
    other = counted.get("other", {})
    heading = f"Instructions per request, millions ({result['scale']} school, {result['requests']} requests a page, " \
              f"{result['apps']['this']}" + (f" against {result['apps']['other']}" if other else "") + ")"
    lines = [heading, "", "| request | this | other | change |" if other else "| request | this |",
             "| --- | ---: | ---: | ---: |" if other else "| --- | ---: |"]
    for name, instructions in counted["this"].items():
        row = f"| {name} | {instructions / 1e6:.1f} |"
        if name in other:
            row += f" {other[name] / 1e6:.1f} | {100 * (instructions / other[name] - 1):+.0f}% |"
        elif other:
            row += " — | — |"
        lines.append(row)
    if other:
        shared = [counted["this"][name] / other[name] for name in counted["this"] if name in other]
        lines += ["", f"median ratio this / other: {statistics.median(shared):.2f}"]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
