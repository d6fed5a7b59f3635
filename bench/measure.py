"""What bench/run.py measures with: wrk, CPU seconds of processes, and the registration-day write stream.

CPU seconds come from ``/proc/<pid>/stat`` (user + system time of every
thread): unlike a wall-clock time, the CPU a request costs a process changes
little when other programs share the cores.
"""

import asyncio
import itertools
import os
import re
import statistics
import subprocess
import threading
import time
from pathlib import Path

from stack import CSRF_TOKEN, HOST, raw_request

# Stream requests waiting for an answer at most; past it a turn is skipped (and counted).
MAX_IN_FLIGHT = 8

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of every core since boot, from /proc/stat (idle and I/O wait are not busy)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS, sum(ticks) / CLOCK_TICKS


def workers_cpu_seconds(master: int) -> float:
    """CPU of a gunicorn master's workers, those running and those it replaced.

    A worker killed for a timeout takes its CPU with it from a sum over the
    running ones (the figure would jump back); the master counts the CPU of
    every child it reaped (cutime, cstime).
    """
    fields = Path(f"/proc/{master}/stat").read_text().rsplit(")", 1)[1].split()
    return cpu_seconds(children(master)) + (int(fields[13]) + int(fields[14])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def wrk(base: str, path: str, session: str | None, connections: int, seconds: float) -> dict:
    headers = [f"Host: {HOST}", "X-Forwarded-Proto: https"]
    if session:
        headers.append(f"Cookie: sessionid={session}; csrftoken={CSRF_TOKEN}")
    command = ["wrk", "--latency", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s",
               "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run([*command, base + path], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _milliseconds(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99_ms": _milliseconds(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }


def _milliseconds(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return round(float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 2)


class MachineSpeed:
    """How fast the machine runs Python now: a fixed piece of pure-Python work
    (``reference_work``), timed in CPU of its own thread every half second, in a
    thread of its own, while the benchmark runs.

    On the VM this was built on, that work took about 8-9 ms of CPU or 15-17 ms, each
    core switching between the two every few seconds, with nothing else running as
    with the benchmark: the host runs the VM's cores at two speeds. A run that meets
    more of the slow one serves fewer requests, for no reason of the app's. Kept for
    each run (``reference_cpu_ms``, the median during it), the figure tells such a
    run from one the app made slow. It costs the machine about 3% of one core.
    """

    INTERVAL_SECONDS = 0.5

    def __init__(self):
        self.samples: list[tuple[float, float]] = []  # (time.monotonic(), CPU ms of reference_work)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.wait(self.INTERVAL_SECONDS):
            began = time.thread_time()
            reference_work()
            self.samples.append((time.monotonic(), 1000 * (time.thread_time() - began)))

    def median_between(self, began: float, ended: float) -> float | None:
        during = [ms for at, ms in self.samples if began <= at <= ended]
        return round(statistics.median(during), 1) if during else None


def reference_work() -> None:
    """About 10 ms of what a Django request does most: dictionaries, strings, a sort."""
    table = {}
    for n in range(40_000):
        table[n % 997] = f"{n}x"
    sorted(table.values())


class TaskLog:
    """Which tasks the task worker runs now, from its lines in the bench log
    (``Task id=... state=RUNNING``, then ``SUCCESSFUL`` or ``FAILED``)."""

    # run_tasks looks for a due task this often.
    POLL_SECONDS = 1.0

    def __init__(self, path: Path):
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0
        self.running: set[str] = set()
        self.starts = 0

    def started(self) -> int:
        """How many tasks have started so far."""
        self._read()
        return self.starts

    def wait_until_idle(self, patience: float = 180) -> None:
        give_up = time.monotonic() + patience
        self._read()
        while self.running and time.monotonic() < give_up:
            time.sleep(0.5)
            self._read()

    def _read(self) -> None:
        if not self.path.exists():
            return
        with open(self.path, errors="replace") as log:
            log.seek(self.offset)
            text = log.read()
            self.offset = log.tell()
        for task, state in re.findall(r"Task id=(\w+) path=\S+ state=(\w+)", text):
            if state == "RUNNING":
                self.running.add(task)
                self.starts += 1
            else:
                self.running.discard(task)


def stream_turns(sessions: list[str], courses: list[str]):
    """The write stream's requests, (path, session) each, or None for a turn sat out.

    The students of ``sessions`` take turns; at each of their turns a student
    enrolls in the next course of ``courses``, or drops the one they are in.
    Every other student sits out their first turn, so that from then on each
    enroll is followed by a drop (an enroll costs the database about twice a
    drop: in passes of all enrolls then all drops, the stream's cost swung by
    half every three seconds, and a page's run caught more or less of it).
    """
    enrolled = {}
    for turn in itertools.count():
        student = sessions[turn % len(sessions)]
        if turn < len(sessions) and turn % 2:
            yield None
        elif student in enrolled:
            yield f"/courses/{enrolled.pop(student)}/drop/", student
        else:
            enrolled[student] = courses[(turn // len(sessions)) % len(courses)]
            yield f"/courses/{enrolled[student]}/enroll/", student


class WriteStream:
    """Enrolls and drops at a fixed rate, as registration day does, in a thread of its own
    (``stream_turns``). Every request writes the course document (its seat counter), so the
    database's cached reads of the courses are emptied ``rate`` times a second.
    The requests go to their own gunicorn (``base``), so the CPU of the workers
    measured serves the measured pages alone.
    """

    def __init__(self, base: str, sessions: list[str], courses: list[str], rate: float):
        self.base, self.sessions, self.courses, self.rate = base, sessions, courses, rate
        self.sent, self.skipped, self.answered, self.statuses = 0, 0, 0, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=60)

    async def _run(self):
        host, port = self.base.removeprefix("http://").split(":")
        turns = stream_turns(self.sessions, self.courses)
        pending = set()
        began = time.monotonic()
        slots = 0
        while not self._stop.is_set():
            slots += 1
            if len(pending) >= MAX_IN_FLIGHT:
                # The app is behind: a request now would only queue (and time out); keep the rate honest.
                self.skipped += 1
            else:
                turn = next(turns)
                if turn:
                    task = asyncio.create_task(self._send(host, int(port), raw_request("POST", *turn)))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                    self.sent += 1
            await asyncio.sleep(max(0.0, began + slots / self.rate - time.monotonic()))
        if pending:
            await asyncio.wait(pending, timeout=30)

    async def _send(self, host: str, port: int, raw: bytes):
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(raw)
            status = int((await reader.readline()).split()[1])
            await reader.read()
            writer.close()
        except (OSError, IndexError, ValueError):
            status = 0
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.answered += 1
