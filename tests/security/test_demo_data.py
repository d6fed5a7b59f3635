"""bin/run loads the demo data (a superuser with a published password) only
into the embedded default database, never by itself into MONGODB_URI's."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pymongo
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def test_bin_run_loads_no_demo_data_into_the_database_mongodb_uri_names(db):
    uri, name = connection.settings_dict["HOST"], f"binrun_{uuid.uuid4().hex[:8]}"
    port = free_port()
    run = subprocess.Popen(
        [str(ROOT / "bin" / "run")], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
        env={**os.environ, "PORT": str(port), "MONGODB_URI": uri, "MONGODB_NAME": name,
             "DJANGO_SETTINGS_MODULE": "school.settings.local"},
    )
    try:
        deadline = time.monotonic() + 300
        while not answers(f"http://127.0.0.1:{port}/healthz"):
            assert run.poll() is None and time.monotonic() < deadline, run.stdout.read() if run.poll() else "no answer"
            time.sleep(0.5)
        with pymongo.MongoClient(uri) as client:
            assert "django_migrations" in client[name].list_collection_names()
            assert client[name].accounts_user.count_documents({}) == 0
            assert client[name].catalog_course.count_documents({}) == 0
    finally:
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C
        output, _ = run.communicate(timeout=60)
        with pymongo.MongoClient(uri) as client:
            client.drop_database(name)
    assert "no demo data here (bin/run --demo loads it)" in output
    # Everything bin/run started has stopped with it.
    survivors = subprocess.run(["ps", "-o", "pid=", "-g", str(run.pid)], capture_output=True, text=True).stdout.split()
    assert survivors == []
