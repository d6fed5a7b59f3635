"""Database queries per request for the benchmarked pages: python bench/queries.py '<json>'.

Runs in its own process with the benchmark's production environment, drives
the pages with Django's test client as the logged-in demo student (anonymously
for the pages in "anonymous", with the session given in "sessions" for others), and prints
{name: number of queries} (measured on the second request, once caches are warm).
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def main(options: dict) -> dict:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    student, anonymous = Client(), Client()
    student.cookies[settings.SESSION_COOKIE_NAME] = options["session"]
    others = {name: Client() for name in options.get("sessions", {})}
    for name, client in others.items():
        client.cookies[settings.SESSION_COOKIE_NAME] = options["sessions"][name]
    counts = {}
    for name, path in options["paths"].items():
        client = anonymous if name in options["anonymous"] else others.get(name, student)
        client.get(path, secure=True)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, secure=True)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        counts[name] = len(queries)
    return counts


print(json.dumps(main(json.loads(sys.argv[1]))))
