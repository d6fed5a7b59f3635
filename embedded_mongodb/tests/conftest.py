"""A real embedded server process per test module, reached over TCP with pymongo."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pymongo
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    data_path = tmp_path_factory.mktemp("embedded_mongo") / "db.sqlite3"
    state_path = data_path.with_name(data_path.name + ".json")
    process = subprocess.Popen(
        [sys.executable, "-m", "embedded_mongodb", "serve", "--path", str(data_path), "--port", "0"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not state_path.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"embedded server did not start (exit code {process.poll()})")
            time.sleep(0.05)
        state = json.loads(state_path.read_text())
        with pymongo.MongoClient(
            f"mongodb://{state['host']}:{state['port']}/?directConnection=true"
        ) as mongo_client:
            yield mongo_client
    finally:
        process.terminate()
        process.wait(timeout=10)
