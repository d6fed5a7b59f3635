"""The embedded server process: ``python -m embedded_mongodb serve``.

One server owns one data file. It holds an exclusive ``flock`` on
``<data>.lock`` for its whole life, so a second server for the same file
refuses to start, and a server killed with SIGKILL releases the lock with
its process. Once it listens it publishes ``<data>.json`` (pid, host, port)
for :mod:`embedded_mongodb.launcher` to find.
"""

import asyncio
import contextlib
import fcntl
import json
import os
import signal
from pathlib import Path

from . import compat
from .files import lock_path, state_path


def acquire_lock(data_path: Path):
    """Return the open lock file, or None when another server owns the data."""
    handle = open(lock_path(data_path), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def write_state(data_path: Path, host: str, port: int) -> None:
    target = state_path(data_path)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(json.dumps({"pid": os.getpid(), "host": host, "port": port}))
    # rename() is atomic: a reader never sees a half-written state file.
    temporary.replace(target)


async def serve(data_path: Path, host: str, port: int, idle_timeout: float | None) -> None:
    server = compat.make_server(str(data_path), host=host, port=port)
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


async def _wait_until_stopped(server, stop: asyncio.Event, idle_timeout: float | None) -> None:
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
        idle_for = idle_for + tick if compat.connection_count(server) == 0 else 0.0
        if idle_for >= idle_timeout:
            return
