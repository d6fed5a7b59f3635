"""The embedded server's lifecycle: start, reuse, restart with data kept, one server per file."""

import subprocess
import sys

import pymongo
import pytest

from embedded_mongodb import launcher
from embedded_mongodb.files import ALREADY_RUNNING_EXIT_CODE


@pytest.fixture
def data_path(tmp_path):
    path = tmp_path / "data.sqlite3"
    yield path
    launcher.stop_server(path)


def client_for(uri):
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)


def test_ensure_server_starts_one_and_then_reuses_it(data_path):
    uri = launcher.ensure_server(data_path)
    assert launcher.ensure_server(data_path) == uri
    with client_for(uri) as client:
        assert client.admin.command("ping")["ok"] == 1


def test_data_and_address_survive_a_restart(data_path):
    uri = launcher.ensure_server(data_path)
    with client_for(uri) as client:
        client.school.notes.insert_one({"text": "kept"})
    assert launcher.stop_server(data_path)
    assert launcher.running_server(data_path) is None
    assert launcher.ensure_server(data_path) == uri
    with client_for(uri) as client:
        assert client.school.notes.find_one({}, {"_id": 0}) == {"text": "kept"}


def test_a_second_server_for_the_same_file_refuses_to_start(data_path):
    launcher.ensure_server(data_path)
    second = subprocess.run(
        [sys.executable, "-m", "embedded_mongodb", "serve", "--path", str(data_path)],
        capture_output=True, text=True, timeout=30,
    )
    assert second.returncode == ALREADY_RUNNING_EXIT_CODE
    assert "already serves" in second.stderr


def test_a_killed_server_is_replaced_on_the_next_call(data_path):
    launcher.ensure_server(data_path)
    pid = launcher.running_server(data_path)["pid"]
    subprocess.run(["kill", "-9", str(pid)], check=True)
    launcher.wait_until_gone(pid, timeout=10)
    new_uri = launcher.ensure_server(data_path)
    assert launcher.running_server(data_path)["pid"] != pid
    with client_for(new_uri) as client:
        assert client.admin.command("ping")["ok"] == 1


def test_an_idle_server_started_for_a_command_stops_by_itself(data_path):
    uri = launcher.ensure_server(data_path, idle_timeout=0.5)
    with client_for(uri) as client:
        client.admin.command("ping")
    process_id = launcher.running_server(data_path)["pid"]
    launcher.wait_until_gone(process_id, timeout=15)
    assert launcher.running_server(data_path) is None


def test_start_and_stop_commands(data_path):
    command = [sys.executable, "-m", "embedded_mongodb"]
    started = subprocess.run([*command, "start", "--path", str(data_path)], capture_output=True, text=True)
    assert started.returncode == 0 and started.stdout.startswith("mongodb://127.0.0.1:")
    again = subprocess.run([*command, "start", "--path", str(data_path)], capture_output=True, text=True)
    assert again.returncode == ALREADY_RUNNING_EXIT_CODE and again.stdout == started.stdout
    assert subprocess.run([*command, "stop", "--path", str(data_path)]).returncode == 0
    assert launcher.running_server(data_path) is None
