"""The production start as the Procfile runs it: collectstatic, gunicorn, whitenoise."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str):
    request = urllib.request.Request(url, headers={"Host": "registrar.example.edu", "X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


@pytest.fixture
def production_server(db, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "school.settings.production",
        "DJANGO_SECRET_KEY": "production-start-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_ALLOWED_HOSTS": "registrar.example.edu",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "MONGODB_URI": connection.settings_dict["HOST"],
        "MONGODB_NAME": connection.settings_dict["NAME"],
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "school.wsgi", "--config", "gunicorn.conf.py"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            fetch(f"{base}/healthz")
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"gunicorn did not start:\n{server.stdout.read()}")
            time.sleep(0.2)
    yield base
    server.terminate()
    output, _ = server.communicate(timeout=20)
    print(output)


def test_gunicorn_serves_health_pages_and_hashed_static_files(production_server):
    status, _, body = fetch(f"{production_server}/healthz")
    assert status == 200 and b'"status": "ok"' in body

    status, headers, body = fetch(f"{production_server}/courses/")
    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    stylesheet = re.search(rb'href="(/static/css/site\.[0-9a-f]{12}\.css)"', body).group(1).decode()

    status, headers, body = fetch(production_server + stylesheet)
    assert status == 200 and b"--accent" in body
    assert headers["Cache-Control"] == "max-age=315360000, public, immutable"
