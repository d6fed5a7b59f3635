"""Start the app the production way for benchmarks and reliability tests.

An embedded MongoDB server over a temporary data file, gunicorn with
production settings in front of it, and helpers to prepare data and to send
authenticated requests. Everything listens on 127.0.0.1 only.
"""

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embedded_mongodb import launcher  # noqa: E402

HOST = "registrar.example.edu"
CSRF_TOKEN = "a" * 32


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(uri: str, directory: Path, **extra) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "school.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_CACHE_DIR": str(directory / "cache"),
        "DJANGO_STATIC_ROOT": str(directory / "static"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "MONGODB_URI": uri,
        "MONGODB_NAME": "registrar_bench",
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
        **extra,
    }


@contextmanager
def embedded_database(directory: Path, data_path: Path | None = None):
    """The embedded server over data_path (a new file in directory by default): (URI, data file)."""
    data_path = data_path or directory / "bench.sqlite3"
    uri = launcher.ensure_server(data_path, idle_timeout=None)
    try:
        yield uri, data_path
    finally:
        launcher.stop_server(data_path)


@contextmanager
def gunicorn(env: dict, workers: int | None = 2, threads: int | None = 4, *, app: Path = ROOT, process_out=None):
    """gunicorn with the app's gunicorn.conf.py; workers and threads None keep its defaults.

    ``process_out``, a list, receives the gunicorn master's Popen.
    """
    env = dict(env)
    for name, value in (("WEB_CONCURRENCY", workers), ("GUNICORN_THREADS", threads)):
        if value is not None:
            env[name] = str(value)
    base = f"http://{env['GUNICORN_BIND']}"
    with open(Path(env.get("BENCH_LOG", os.devnull)), "a") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "school.wsgi", "--config", "gunicorn.conf.py"],
            cwd=app, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        if process_out is not None:
            process_out.append(process)
        try:
            wait_until_up(base, process)
            yield base
        finally:
            stop(process)  # gunicorn gives its workers 30 s to finish their requests


@contextmanager
def task_worker(env: dict, *, app: Path = ROOT):
    """The Procfile's worker (``manage.py run_tasks``): it sends the emails and
    works out the admin home's figures, which no request works out itself."""
    with open(Path(env.get("BENCH_LOG", os.devnull)), "a") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_tasks"], cwd=app, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        stop(process)  # it stops after the task it is running


def stop(process, patience: float = 60) -> None:
    """Ask a process to stop (TERM), and kill it after ``patience`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=patience)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_up(base: str, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        if request(base, "GET", "/healthz")[0] == 200:
            return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def manage(env: dict, *args: str, app: Path = ROOT) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=app, env=env, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def release(env: dict, app: Path = ROOT) -> None:
    """The Procfile's release step: migrate, collect the static files."""
    manage(env, "migrate", "--no-input", "-v0", app=app)
    manage(env, "collectstatic", "--no-input", "-v0", app=app)


def prepare(env: dict, **options) -> dict:
    """Run the Procfile's release step, then create the data a scenario needs (bench/prepare.py)."""
    release(env)
    return run_script(env, "prepare.py", options)


def run_script(env: dict, name: str, options: dict) -> dict:
    """Run bench/<name> with options as JSON in the app's environment; the JSON it prints."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / name), json.dumps(options)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    if result.returncode:
        raise RuntimeError(f"bench/{name} failed:\n{result.stderr}")
    return json.loads(result.stdout)


def request(base: str, method: str, path: str, session: str | None = None, timeout: float = 30):
    """(status, body) of one request as a logged-in browser behind an HTTPS proxy would send it."""
    headers = {"Host": HOST, "X-Forwarded-Proto": "https", "Referer": f"https://{HOST}/"}
    cookies = [f"csrftoken={CSRF_TOKEN}"]
    if session:
        cookies.append(f"sessionid={session}")
    headers["Cookie"] = "; ".join(cookies)
    if method == "POST":
        headers["X-CSRFToken"] = CSRF_TOKEN
    req = urllib.request.Request(base + path, method=method, headers=headers, data=b"" if method == "POST" else None)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        return 0, str(error).encode()


def fire(
    base: str, method: str, paths_and_sessions: list[tuple[str, str]], *, concurrency: int | None = None,
    timeout: float = 120,
) -> list[tuple[int, float]]:
    """Send one request per (path, session), all at once or ``concurrency`` at
    a time; (status, seconds) of each, in order (status 0: no answer within
    ``timeout`` seconds, or none at all).

    One thread, one connection per request, requests encoded up front: the
    client's CPU stays a small share of the machine's, where a thread per
    request through urllib cost more CPU than the server it measured.
    """
    host, port = base.removeprefix("http://").split(":")
    requests = [raw_request(method, path, session) for path, session in paths_and_sessions]

    async def send(raw: bytes, slots: asyncio.Semaphore) -> tuple[int, float]:
        async with slots:
            began = time.perf_counter()
            try:
                return await asyncio.wait_for(exchange(raw), timeout)
            except TimeoutError:
                return 0, time.perf_counter() - began

    async def exchange(raw: bytes) -> tuple[int, float]:
        began = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(raw)
            head = await reader.readline()
            await reader.read()  # the rest, up to the server closing the connection
            writer.close()
            return int(head.split()[1]), time.perf_counter() - began
        except (OSError, IndexError, ValueError):
            return 0, time.perf_counter() - began

    async def send_all():
        slots = asyncio.Semaphore(concurrency or len(requests))
        return await asyncio.gather(*(send(raw, slots) for raw in requests))

    return asyncio.run(send_all())


def raw_request(method: str, path: str, session: str) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1", f"Host: {HOST}", "X-Forwarded-Proto: https", f"Referer: https://{HOST}/",
        f"Cookie: csrftoken={CSRF_TOKEN}; sessionid={session}", f"X-CSRFToken: {CSRF_TOKEN}",
        "Content-Length: 0", "Connection: close",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def percentiles_ms(seconds: list[float]) -> dict:
    """p50 and p99 of request durations given in seconds, in milliseconds."""
    ordered = sorted(seconds)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000, 1)

    return {"p50_ms": at(0.5), "p99_ms": at(0.99)}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
