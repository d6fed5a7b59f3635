"""mongoeco's SQLite work runs on the event-loop thread, one call at a time.

:mod:`embedded_mongodb.inline` replaces mongoeco's hand-off of every
engine call to worker threads with a direct call. The ``emulator`` tests
check where a call runs (in this process); the last one drives a server from
many clients at once, the way gunicorn's threads do, and checks that every
operation completes with the right result (on a real MongoDB too).
"""

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from pymongo import ReturnDocument

from embedded_mongodb.engine import EmbeddedEngine

_clock = contextvars.ContextVar("clock", default="unset")
_set_by_call = contextvars.ContextVar("set_by_call", default="unset")


@pytest.mark.emulator
def test_engine_calls_run_on_the_event_loop_thread_with_the_callers_context(tmp_path):
    engine = EmbeddedEngine(str(tmp_path / "db.sqlite3"))

    def call():
        _set_by_call.set("leaked")
        return threading.get_ident(), _clock.get()

    async def main():
        _clock.set("injected")
        ran_on, clock = await engine._run_blocking(call)
        return ran_on, clock, threading.get_ident(), _set_by_call.get()

    ran_on, clock, loop_thread, after = asyncio.run(main())
    assert ran_on == loop_thread
    assert clock == "injected" and after == "unset"


@pytest.mark.emulator
def test_long_calls_and_calls_waiting_for_a_busy_engine_go_to_worker_threads(tmp_path):
    """A bulk insert may take seconds, and the loop must keep answering
    pymongo's heartbeats meanwhile; so must a call that would wait for the
    engine's lock while a worker holds it."""
    engine = EmbeddedEngine(str(tmp_path / "db.sqlite3"))

    def _insert_documents_sync():
        return threading.get_ident()

    def quick():
        with engine._lock:  # as every engine call does
            return threading.get_ident()

    async def main():
        loop_thread = threading.get_ident()
        bulk = await engine._run_blocking(_insert_documents_sync)
        held, release = threading.Event(), threading.Event()

        def hold_the_lock():
            with engine._lock:
                held.set()
                release.wait(10)

        holder = threading.Thread(target=hold_the_lock)
        holder.start()
        held.wait(10)
        waiting = asyncio.ensure_future(engine._run_blocking(quick))
        await asyncio.sleep(0.05)
        assert not waiting.done()  # not run on the loop, which is free to go on
        release.set()
        holder.join()
        return loop_thread, bulk, await waiting, await engine._run_blocking(quick)

    loop_thread, bulk, while_busy, when_free = asyncio.run(main())
    assert bulk != loop_thread and while_busy != loop_thread
    assert when_free == loop_thread


def test_many_clients_at_once_are_all_served_exactly(new_database):
    """Eight clients interleave cursors (each holding a reader between
    batches), conditional updates and inserts on shared documents."""
    database = new_database("clients")
    database.items.insert_many([{"_id": n, "n": n, "hits": 0} for n in range(200)])
    database.counter.insert_one({"_id": "seats", "taken": 0, "capacity": 50})

    def work(worker):
        taken = 0
        for round_ in range(25):
            cursor = database.items.find({"n": {"$gte": worker}}, batch_size=7, sort=[("n", 1)])
            first = [next(cursor)["n"] for _ in range(3)]
            seat = database.counter.find_one_and_update(
                {"_id": "seats", "$expr": {"$lt": ["$taken", "$capacity"]}},
                {"$inc": {"taken": 1}},
                return_document=ReturnDocument.AFTER,
            )
            taken += seat is not None
            database.log.insert_one({"worker": worker, "round": round_})
            database.items.update_one({"_id": worker}, {"$inc": {"hits": 1}})
            rest = [document["n"] for document in cursor]
            assert first + rest == list(range(worker, 200))
        return taken

    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = [future.result(timeout=120) for future in [pool.submit(work, worker) for worker in range(8)]]

    assert sum(taken) == 50
    assert database.counter.find_one({"_id": "seats"})["taken"] == 50
    assert database.log.count_documents({}) == 200
    assert [document["hits"] for document in database.items.find({"_id": {"$lt": 8}}, sort=[("_id", 1)])] == [25] * 8
