"""The embedded server's lifecycle (start, reuse, restart with data kept, one
server per file) and its door: credentials, private files, a refused stranger."""

import json
import os
import stat
import subprocess
import sys

import pymongo
import pytest
from pymongo.errors import OperationFailure

from embedded_mongodb import launcher
from embedded_mongodb.credentials import credentials_for
from embedded_mongodb.files import ALREADY_RUNNING_EXIT_CODE, credentials_path, server_files, state_path

pytestmark = pytest.mark.emulator


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
    assert started.returncode == 0 and started.stdout.startswith("mongodb://registrar:")
    again = subprocess.run([*command, "start", "--path", str(data_path)], capture_output=True, text=True)
    assert again.returncode == ALREADY_RUNNING_EXIT_CODE and again.stdout == started.stdout
    assert subprocess.run([*command, "stop", "--path", str(data_path)]).returncode == 0
    assert launcher.running_server(data_path) is None


# --- The door: nobody without the data file's credentials ----------------------------


def anonymous(uri):
    """A client of the same server that does not send the credentials."""
    return client_for("mongodb://" + uri.partition("@")[2])


def test_a_client_without_the_credentials_can_neither_read_nor_write(data_path):
    uri = launcher.ensure_server(data_path)
    with client_for(uri) as client:
        client.school.users.insert_one({"email": "registrar@example.edu", "is_superuser": True})
    with anonymous(uri) as stranger:
        # The handshake stays open, as on MongoDB: drivers need it to connect.
        assert stranger.admin.command("hello")["ok"] == 1
        for attempt in (
            lambda: stranger.school.users.find_one(),
            lambda: stranger.school.users.insert_one({"email": "me@example.com", "is_superuser": True}),
            lambda: stranger.school.list_collection_names(),
            lambda: stranger.drop_database("school"),
            lambda: stranger.admin.command("endSessions", []),
        ):
            with pytest.raises(OperationFailure) as refused:
                attempt()
            assert refused.value.code == 13  # Unauthorized, as MongoDB answers
    with client_for(uri) as client:
        assert list(client.school.users.find({}, {"_id": 0, "email": 1})) == [{"email": "registrar@example.edu"}]


def test_wrong_credentials_are_refused(data_path):
    uri = launcher.ensure_server(data_path)
    password = credentials_for(data_path).password
    with client_for(uri.replace(password, "guessed")) as intruder, pytest.raises(OperationFailure) as refused:
        intruder.school.users.find_one()
    assert refused.value.code == 18  # AuthenticationFailed


def test_the_handshake_names_the_users_mechanism(data_path):
    """pymongo picks SCRAM-SHA-256 from it, so a plain user:password URI works."""
    uri = launcher.ensure_server(data_path)
    with client_for(uri) as client:
        hello = client.admin.command("hello", saslSupportedMechs="admin.registrar")
        assert hello["saslSupportedMechs"] == ["SCRAM-SHA-256"]
        assert "saslSupportedMechs" not in client.admin.command("hello", saslSupportedMechs="admin.nobody")


def test_each_data_file_has_its_own_credentials_kept_across_restarts(data_path, tmp_path):
    first = credentials_for(data_path)
    launcher.ensure_server(data_path)
    launcher.stop_server(data_path)
    launcher.ensure_server(data_path)
    assert credentials_for(data_path) == first
    assert credentials_for(tmp_path / "other.sqlite3").password != first.password


def test_every_file_of_a_server_is_private(tmp_path):
    data_path = tmp_path / "var" / "data.sqlite3"
    try:
        uri = launcher.ensure_server(data_path)
        with client_for(uri) as client:
            client.school.users.insert_one({"password": "argon2$..."})
        files = [path for path in server_files(data_path) if path.exists()]
        assert {path.name for path in files} >= {
            "data.sqlite3", "data.sqlite3-wal", "data.sqlite3.credentials", "data.sqlite3.json", "data.sqlite3.lock",
            "data.sqlite3.log", "data.sqlite3.port",
        }
        assert {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in files} == {
            path.name: "0o600" for path in files
        }
        assert stat.S_IMODE(data_path.parent.stat().st_mode) == 0o700
    finally:
        launcher.stop_server(data_path)


def test_files_an_older_version_left_readable_are_made_private(data_path):
    data_path.touch(mode=0o644)
    credentials_path(data_path).write_text(json.dumps({"user": "registrar", "password": "old"}))
    os.chmod(credentials_path(data_path), 0o644)
    launcher.ensure_server(data_path)
    assert stat.S_IMODE(data_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(credentials_path(data_path).stat().st_mode) == 0o600


def test_a_stranger_on_the_servers_port_is_refused_with_one_clear_line(data_path, tmp_path):
    """The server was killed, and another process (here another data file's
    server) now answers on its port under the pid its state file names."""
    stranger_path = tmp_path / "stranger.sqlite3"
    try:
        launcher.ensure_server(stranger_path)
        stranger = launcher.running_server(stranger_path)
        state_path(data_path).write_text(json.dumps(stranger))
        with pytest.raises(launcher.EmbeddedServerError) as refused:
            launcher.ensure_server(data_path)
        message = str(refused.value)
        assert len(message.splitlines()) == 1
        assert f"127.0.0.1:{stranger['port']} refuses the credentials of {data_path}" in message
        # A client still holding the data file's URI cannot talk to the stranger either.
        with client_for(launcher.uri_for(stranger["host"], stranger["port"], credentials_for(data_path))) as client:
            with pytest.raises(OperationFailure) as failed:
                client.school.users.find_one()
            assert failed.value.code == 18
    finally:
        state_path(data_path).unlink(missing_ok=True)
        launcher.stop_server(stranger_path)
