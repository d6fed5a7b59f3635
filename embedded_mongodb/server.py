"""The embedded server process: ``python -m embedded_mongodb serve``.

One server owns one data file. It holds an exclusive ``flock`` on
``<data>.lock`` for its whole life, so a second server for the same file
refuses to start, and a server killed with SIGKILL releases the lock with
its process. Once it listens it publishes ``<data>.json`` (pid, host, port)
for :mod:`embedded_mongodb.launcher` to find. It answers only clients that
authenticate with the data file's credentials (:mod:`.credentials`).
"""

import asyncio
import contextlib
import fcntl
import json
import os
import signal
from pathlib import Path

from mongoeco.wire.auth import WireAuthUser

from .credentials import Credentials, credentials_for
from .engine import EmbeddedEngine
from .files import lock_path, make_private, open_private, server_files, state_path, write_private
from .patches import install
from .proxy import EmbeddedProxyServer

# What a client may use: MongoDB's default mechanism, the only one pymongo
# and mongoeco agree on (mongoeco's SCRAM-SHA-1 skips MongoDB's password digest).
MECHANISMS = ("SCRAM-SHA-256",)


def make_server(data_path: str, *, host: str, port: int, credentials: Credentials) -> EmbeddedProxyServer:
    install()
    user = WireAuthUser(credentials.user, credentials.password, source="admin", mechanisms=MECHANISMS)
    return EmbeddedProxyServer(engine=EmbeddedEngine(data_path), host=host, port=port, auth_users=(user,))


def acquire_lock(data_path: Path):
    """Return the open lock file, or None when another server owns the data."""
    handle = os.fdopen(open_private(lock_path(data_path), os.O_RDWR), "r+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def write_state(data_path: Path, host: str, port: int) -> None:
    write_private(state_path(data_path), json.dumps({"pid": os.getpid(), "host": host, "port": port}))


async def serve(data_path: Path, host: str, port: int, idle_timeout: float | None) -> None:
    # SQLite creates the data file and its -wal and -shm companions: 0600 too.
    os.umask(0o077)
    make_private(server_files(data_path))
    server = make_server(str(data_path), host=host, port=port, credentials=credentials_for(data_path))
    address = await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    write_state(data_path, address.host, address.port)
    print(f"embedded MongoDB serving {data_path} on {address.host}:{address.port}", flush=True)
    try:
        await _wait_until_stopped(server, stop, idle_timeout)
    finally:
        with contextlib.suppress(FileNotFoundError):
            state_path(data_path).unlink()
        await server.close()


async def _wait_until_stopped(server: EmbeddedProxyServer, stop: asyncio.Event, idle_timeout: float | None) -> None:
    """Return on a signal, or once no client has been connected for idle_timeout.

    A server that a one-off ``manage.py`` command started for itself goes away
    shortly after the last client disconnects; a running app keeps pymongo's
    monitor connection open and so keeps its server alive.
    """
    idle_for = 0.0
    tick = 0.25
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), tick)
        if idle_timeout is None:
            continue
        idle_for = idle_for + tick if server.connection_count() == 0 else 0.0
        if idle_for >= idle_timeout:
            return
