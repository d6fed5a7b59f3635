"""Database queries per request for the benchmarked pages: python bench/queries.py '<json>'.

Runs in its own process with the benchmark's production environment, drives
each page with Django's test client with its session (or anonymously), and
prints {name: number of queries} (measured on the second request, once
caches are warm).
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, os.environ.get("BENCH_APP") or str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def main(options: dict) -> dict:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    counts = {}
    for name, page in options["pages"].items():
        client = Client()
        if page["session"]:
            client.cookies[settings.SESSION_COOKIE_NAME] = page["session"]
        client.get(page["path"], secure=True)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page["path"], secure=True)
        if response.status_code != 200:
            raise SystemExit(f"{page['path']} answered {response.status_code}")
        counts[name] = len(queries)
    return counts


print(json.dumps(main(json.loads(sys.argv[1]))))
