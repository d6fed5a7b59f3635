"""Find the embedded server for a data file, or start one.

Any process in the checkout (``runserver``, gunicorn, ``manage.py shell``,
``createsuperuser``...) calls :func:`ensure_server` and gets the URI of the
one server that owns the data file, with its credentials, starting the
server if none runs. Runs in the client's process: no mongoeco import here.
"""

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

from .credentials import Credentials, credentials_for
from .files import (
    ALREADY_RUNNING_EXIT_CODE,
    log_path,
    open_private,
    port_path,
    private_directory,
    start_lock_path,
    state_path,
    write_private,
)

AUTHENTICATION_FAILED = 18

# mongoeco rebuilds its index entries from every document when it opens a
# file: a second or two for the demo school, tens of seconds for the
# 2,000-student benchmark school (30,000 documents).
# A server process that is alive gets this long to start listening.
START_TIMEOUT_SECONDS = 300.0


class EmbeddedServerError(ConnectionFailure):
    """The embedded server could not be started or reached: for the client,
    a database it cannot connect to, as pymongo's ConnectionFailure says."""


def uri_for(host: str, port: int, credentials: Credentials) -> str:
    return f"mongodb://{credentials.userinfo()}@{host}:{port}/?directConnection=true"


def running_server(data_path: Path) -> dict | None:
    """The state of the live server for data_path, or None."""
    try:
        state = json.loads(state_path(data_path).read_text())
    except (FileNotFoundError, ValueError):
        return None
    if not _pid_alive(state["pid"]) or not _accepts_connections(state["host"], state["port"]):
        return None
    return state


def ensure_server(data_path: Path, *, idle_timeout: float | None = 60.0) -> str:
    """Return the URI of the server for data_path, starting one if needed.

    A server started here outlives this process (so a later command reuses
    it) and exits by itself after ``idle_timeout`` seconds without clients.
    """
    data_path = Path(data_path).resolve()
    private_directory(data_path.parent)
    credentials = credentials_for(data_path)
    if state := running_server(data_path):
        return _checked_uri(data_path, state, credentials)
    # Serialise starters so that two commands launched together start one server.
    with os.fdopen(open_private(start_lock_path(data_path), os.O_RDWR), "r+") as starter_lock:
        fcntl.flock(starter_lock, fcntl.LOCK_EX)
        if state := running_server(data_path):
            return _checked_uri(data_path, state, credentials)
        process = start_server(data_path, port=_remembered_port(data_path), idle_timeout=idle_timeout)
        state = wait_for_server(data_path, process)
        write_private(port_path(data_path), str(state["port"]))
    return uri_for(state["host"], state["port"], credentials)


def _checked_uri(data_path: Path, state: dict, credentials: Credentials) -> str:
    """The URI of the server the state file names, once it has accepted the
    data file's credentials: a process that took over its pid and port
    (after the server was killed) is refused with one clear line."""
    uri = uri_for(state["host"], state["port"], credentials)
    try:
        with MongoClient(uri, serverSelectionTimeoutMS=5000, connectTimeoutMS=5000) as client:
            client.admin.command("ping")
    except OperationFailure as error:
        if error.code != AUTHENTICATION_FAILED:
            raise
        raise EmbeddedServerError(
            f"{state['host']}:{state['port']} refuses the credentials of {data_path}: another program holds "
            f"the embedded server's port. Stop it, or delete {state_path(data_path)} to start a new server."
        ) from None
    except PyMongoError:
        # Not answering (yet): the caller's own connection reports it.
        pass
    return uri


def _remembered_port(data_path: Path) -> int:
    """The port the last server for data_path used, if it is free again, else 0.

    A restarted server on the same address lets the processes that knew the
    old one (a running app's pymongo pool) reconnect by themselves.
    """
    try:
        port = int(port_path(data_path).read_text())
    except (FileNotFoundError, ValueError):
        return 0
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return 0
    return port


def start_server(
    data_path: Path, *, port: int = 0, idle_timeout: float | None = None
) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "embedded_mongodb", "serve",
        "--path", str(data_path), "--port", str(port),
    ]
    if idle_timeout is not None:
        command += ["--idle-timeout", str(idle_timeout)]
    log = os.fdopen(open_private(log_path(data_path), os.O_WRONLY | os.O_APPEND), "ab")
    try:
        return subprocess.Popen(
            command,
            cwd=Path(__file__).resolve().parents[1],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own session: Ctrl-C in the terminal of the command that
            # started it must not kill a server other processes still use.
            start_new_session=True,
        )
    finally:
        log.close()


def wait_for_server(data_path: Path, process: subprocess.Popen | None = None) -> dict:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if state := running_server(data_path):
            return state
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.05)
    code = process.poll() if process is not None else None
    if code == ALREADY_RUNNING_EXIT_CODE:
        raise EmbeddedServerError(f"another embedded MongoDB server already serves {data_path}")
    raise EmbeddedServerError(
        f"the embedded MongoDB server for {data_path} did not start; see {log_path(data_path)}:\n"
        + _tail(log_path(data_path))
    )


def stop_server(data_path: Path, timeout: float = 10.0) -> bool:
    """Stop the server for data_path; return whether one was running."""
    state = running_server(Path(data_path).resolve())
    if state is None:
        return False
    os.kill(state["pid"], signal.SIGTERM)
    wait_until_gone(state["pid"], timeout)
    return True


def wait_until_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            raise EmbeddedServerError(f"the embedded MongoDB server (pid {pid}) did not stop in {timeout:.0f} s")
        time.sleep(0.05)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed but not yet reaped by its parent) is not a server.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False
