"""Fixtures for the embedded server's tests.

A test that asserts what MongoDB answers talks pymongo to ``client``: a
throw-away embedded server process, or the MongoDB that ``MONGODB_URI`` names
(CI runs them against ``mongo:8.0``), each test in throw-away databases
(``new_database``). A test of the emulator's own workings (what it reads,
which connection, which thread) is marked ``emulator`` and skipped against a
real MongoDB; most of those use ``in_process``, an embedded server in the
test's own process, so that they can count the work its engine does.
"""

import asyncio
import contextlib
import inspect
import itertools
import os
import threading
import uuid

import pymongo
import pytest

from embedded_mongodb.credentials import credentials_for
from embedded_mongodb.engine import EmbeddedEngine
from embedded_mongodb.launcher import uri_for
from embedded_mongodb.server import make_server
from embedded_mongodb.testing import throwaway_server
from embedded_mongodb.writes import SharedIndexConnection

MONGODB_URI = os.environ.get("MONGODB_URI", "")


def pytest_collection_modifyitems(config, items):
    if MONGODB_URI:
        skip = pytest.mark.skip(reason="checks the embedded server's own workings; MONGODB_URI names a real MongoDB")
        for item in items:
            if item.get_closest_marker("emulator"):
                item.add_marker(skip)


@pytest.fixture(scope="module")
def client():
    if MONGODB_URI:
        with pymongo.MongoClient(MONGODB_URI) as mongo_client:
            yield mongo_client
        return
    with throwaway_server() as uri, pymongo.MongoClient(uri) as mongo_client:
        yield mongo_client


_runs = itertools.count()


@pytest.fixture(scope="module")
def new_database(client):
    """new_database(name): a database of its own, dropped after the module."""
    prefix = f"emb{uuid.uuid4().hex[:8]}_{next(_runs)}"
    made = []

    def new(name: str):
        made.append(f"{prefix}_{name}")
        return client[made[-1]]

    yield new
    for name in made:
        client.drop_database(name)


@contextlib.contextmanager
def serve_in_process(data_path):
    """A client of an embedded server that runs in this process, on a thread
    of its own, as the server process runs it (make_server, credentials)."""
    credentials = credentials_for(data_path)
    server = make_server(str(data_path), host="127.0.0.1", port=0, credentials=credentials)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    address = asyncio.run_coroutine_threadsafe(server.start(), loop).result(60)
    try:
        with pymongo.MongoClient(uri_for(address.host, address.port, credentials)) as mongo_client:
            yield mongo_client
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(scope="module")
def database(new_database, request):
    """A database of the test module's own, named after it (test_speed: speed)."""
    return new_database(_module_name(request))


@pytest.fixture
def collection(database):
    """A new collection, on the server the test talks to (a real MongoDB too)."""
    return database[f"c{next(_collection_numbers)}"]


@pytest.fixture
def embedded_collection(in_process, request):
    """A new collection on the embedded server running in this process."""
    return in_process[_module_name(request)][f"c{next(_collection_numbers)}"]


_collection_numbers = itertools.count()


def _module_name(request) -> str:
    return request.module.__name__.rpartition(".")[2].removeprefix("test_")


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    with serve_in_process(tmp_path_factory.mktemp("in_process") / "db.sqlite3") as mongo_client:
        yield mongo_client


@pytest.fixture
def count_calls(monkeypatch):
    """count_calls(owner, name): a list that grows by one at each call of
    ``owner.name`` (a module function, or a method of any kind) until the
    test ends."""

    def count(owner, name):
        calls = []
        found = inspect.getattr_static(owner, name)
        kind = type(found) if isinstance(found, (staticmethod, classmethod)) else None
        original = found.__func__ if kind else found

        def counted(*args, **kwargs):
            calls.append(1)
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, kind(counted) if kind else counted)
        return calls

    return count


@pytest.fixture
def sqlite_steps(monkeypatch):
    """How many SQLite virtual-machine instructions the in-process engine runs:
    a scan costs some per document of the collection, an index seek a few per
    document found."""
    steps, connections = [], []
    execute = SharedIndexConnection.execute

    def counted_execute(connection, sql, parameters=(), /):
        if connection not in connections:
            connection.set_progress_handler(lambda: steps.append(1), 1)
            connections.append(connection)
        return execute(connection, sql, parameters)

    monkeypatch.setattr(SharedIndexConnection, "execute", counted_execute)
    yield steps
    for connection in connections:
        connection.set_progress_handler(None, 1)


@pytest.fixture
def documents_read(count_calls):
    """How many stored documents the in-process engine decodes: every read
    of a document, by scan or by key, goes through ``_deserialize_document``."""
    return count_calls(EmbeddedEngine, "_deserialize_document")
