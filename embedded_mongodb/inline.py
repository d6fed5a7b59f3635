"""mongoeco's SQLite work runs on the server's event-loop thread.

mongoeco hands every engine call (each read, write, cursor batch and index
check) to a pool of worker threads and awaits the result. In one Python
process that buys no parallelism, since the GIL runs one thread at a time,
and under load the worker threads and the loop thread fought over the GIL:
the database's CPU per enrollment doubled (``docs/performance.md``).

:class:`InlineCalls` makes ``_run_blocking`` call the function directly when
the engine's lock is free, holding the lock for the call (it is re-entrant,
so mongoeco's own ``with self._lock`` inside goes through), in a copy of the
caller's context as mongoeco's own path does (its clock and other context
variables reach the call; what the call sets does not leak). Each such call
runs to its end before the loop reads the next command; a command that makes
many calls in a row (an ``insert`` of many documents is one call per
document) lets the loop serve the others every ``YIELD_EVERY_SECONDS``.

Two kinds of call still go to mongoeco's worker threads, because the loop
must keep answering while they run (pymongo's monitors send ``hello`` every
few seconds, and give up on a server that takes ``connectTimeoutMS`` to
answer, cancelling every operation in flight):

- the ones that can take seconds whatever the request: bulk inserts (their
  preparation steps and the insert), index builds and drops, dropping a
  database, opening and closing the file (``HANDED_OFF``);
- any call made while a call handed to a worker is under way. Not every
  engine call takes the engine's lock (a bulk insert's preparation steps
  check unique keys without it), and a SQLite statement waits for another
  thread's (or another connection's) statement for up to five seconds:
  the loop must not be the thread that waits. So the loop runs engine calls
  only while no worker runs one, and never runs SQLite alongside a worker.
  (One gap: a command cancelled while its call runs in a worker, when its
  client disconnects, stops counting before the call ends.)

Why this cannot deadlock: a direct call runs to completion without yielding,
and only once it holds the engine's lock, so no other engine call waits for
it; a worker's call is mongoeco's own path. mongoeco never waits in one call
for another to finish: a transaction owned by another session is refused at
once (``InvalidOperation``), not waited for.

Inherited by :class:`.engine.EmbeddedEngine`; the tests are in
``tests/test_inline.py``.
"""

import asyncio
import contextvars
import time

# Engine calls that may take seconds: they keep mongoeco's worker threads.
HANDED_OFF = frozenset({
    "_connect_sync", "_disconnect_sync", "step", "_snapshot_bulk_insert_preparation_sync", "_insert_documents_sync",
    "_create_index_sync", "_drop_index_sync", "_drop_indexes_sync", "_drop_database_sync",
})

# A command that makes many calls in a row (an insert of many documents,
# one call each) lets the loop serve others at least this often.
YIELD_EVERY_SECONDS = 0.05


class InlineCalls:
    def __init__(self, *args, **kwargs):
        # Engine calls now in a worker thread, and when the loop last let others run.
        self._handed_off = 0
        self._yielded_at = time.perf_counter()
        super().__init__(*args, **kwargs)

    async def _run_blocking(self, func, /, *args, **kwargs):
        if not self._handed_off and getattr(func, "__name__", None) not in HANDED_OFF \
                and self._lock.acquire(blocking=False):
            try:
                result = contextvars.copy_context().run(func, *args, **kwargs)
            finally:
                self._lock.release()
            if time.perf_counter() - self._yielded_at > YIELD_EVERY_SECONDS:
                # A direct call does not suspend the command: without this, a
                # long run of them would hold the loop for the whole command.
                await asyncio.sleep(0)
                self._yielded_at = time.perf_counter()
            return result
        self._handed_off += 1
        try:
            return await super()._run_blocking(func, *args, **kwargs)
        finally:
            self._handed_off -= 1
            self._yielded_at = time.perf_counter()
