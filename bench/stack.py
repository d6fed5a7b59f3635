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
def embedded_database(directory: Path):
    data_path = directory / "bench.sqlite3"
    uri = launcher.ensure_server(data_path, idle_timeout=None)
    try:
        yield uri, data_path
    finally:
        launcher.stop_server(data_path)


@contextmanager
def gunicorn(env: dict, workers: int = 2, threads: int = 4):
    env = {**env, "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads)}
    base = f"http://{env['GUNICORN_BIND']}"
    with open(Path(env.get("BENCH_LOG", os.devnull)), "a") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "school.wsgi", "--config", "gunicorn.conf.py"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(base, process)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_until_up(base: str, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        if request(base, "GET", "/healthz")[0] == 200:
            return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def prepare(env: dict, **options) -> dict:
    """Run the Procfile's release step, then create the data a scenario needs (bench/prepare.py)."""
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "collectstatic", "--no-input", "-v0")
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "prepare.py"), json.dumps(options)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    if result.returncode:
        raise RuntimeError(f"prepare failed:\n{result.stderr}")
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
    base: str, method: str, paths_and_sessions: list[tuple], *, concurrency: int | None = None,
    timeout: float = 120,
) -> list[tuple[int, float]]:
    """Send one request per (path, session) or (path, session, form body), all
    at once or ``concurrency`` at a time; (status, seconds) of each, in order.

    One thread, one connection per request, requests encoded up front: the
    client's CPU stays a small share of the machine's, where a thread per
    request through urllib cost more CPU than the server it measured.
    """
    host, port = base.removeprefix("http://").split(":")
    requests = [_raw_request(method, *job) for job in paths_and_sessions]

    async def send(raw: bytes, slots: asyncio.Semaphore) -> tuple[int, float]:
        async with slots:
            return await exchange(raw)

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
        return await asyncio.wait_for(asyncio.gather(*(send(raw, slots) for raw in requests)), timeout)

    return asyncio.run(send_all())


def _raw_request(method: str, path: str, session: str, body: bytes = b"") -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1", f"Host: {HOST}", "X-Forwarded-Proto: https", f"Referer: https://{HOST}/",
        f"Cookie: csrftoken={CSRF_TOKEN}; sessionid={session}", f"X-CSRFToken: {CSRF_TOKEN}",
        f"Content-Length: {len(body)}", "Connection: close",
    ]
    if body:
        lines.append("Content-Type: application/x-www-form-urlencoded")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def percentiles_ms(seconds: list[float]) -> dict:
    """p50 and p99 of request durations given in seconds, in milliseconds."""
    ordered = sorted(seconds)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000, 1)

    return {"p50_ms": at(0.5), "p99_ms": at(0.99)}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
