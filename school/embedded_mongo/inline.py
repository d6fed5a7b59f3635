"""mongoeco's SQLite work runs on the server's event-loop thread.

mongoeco 4.11.0 hands every engine call (each read, write, cursor batch and
index check) to a pool of worker threads and awaits the result: a job
submitted, a future wrapped and shielded, an admission semaphore, and a
wake-up of the event loop through its self-pipe when the job is done. In one
Python process that buys no parallelism, since the GIL runs one thread at a
time, but under load it costs a great deal: with eight clients in flight
(two gunicorn workers of four threads) the worker threads and the loop
thread fought over the GIL, and the server spent 33 ms of CPU per
enrollment, against 17 ms when the same calls run on the loop thread
(``bench/rush.py``: 27 → 53 enrollments per second).

:func:`apply` replaces ``SQLiteEngine._run_blocking`` with a direct call, in
a copy of the caller's context as mongoeco's own path does (its clock and
other context variables reach the call; what the call sets does not leak).
Each call then runs to its end before the loop reads the next command, so
commands are served one at a time, in arrival order.

Why this cannot deadlock: a call runs to completion without yielding, so no
other engine call is in progress while it runs, and every lock mongoeco
takes (the engine's ``RLock``, a reader's lock, the scan and lifecycle
conditions) is taken and released inside one call. mongoeco never waits in
one call for another to finish: a transaction owned by another session is
refused at once (``InvalidOperation``), not waited for. The one wait in its
code, ``connect`` while a ``disconnect`` is under way, needs two lifecycle
calls at once, which one server never makes.

Server process only, pinned like :mod:`school.embedded_mongo.speed`; the
tests in ``tests/embedded_mongo/test_inline.py`` fail without it.
"""

import contextvars

import mongoeco
from mongoeco.engines.sqlite import SQLiteEngine

PINNED_MONGOECO_VERSION = "4.11.0"

if mongoeco.__version__ != PINNED_MONGOECO_VERSION:
    raise ImportError(
        f"school.embedded_mongo.inline is written for mongoeco {PINNED_MONGOECO_VERSION}, "
        f"found {mongoeco.__version__}: re-check it before changing the pin"
    )


async def _run_blocking(self, func, /, *args, **kwargs):
    return contextvars.copy_context().run(func, *args, **kwargs)


def apply() -> None:
    """Install the direct calls (idempotent)."""
    SQLiteEngine._run_blocking = _run_blocking


apply()
