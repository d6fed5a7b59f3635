"""Serve pages in this process through the app's WSGI application, as a gunicorn worker does, for
bench/instructions.py: python bench/serve_in_process.py '<json>'.

Runs with the benchmark's production environment (the app: this checkout or BENCH_APP). The options:
{"pages": [{"name", "method", "requests": [[path, session], ...]}], "warm_up": n, "host",
"csrf_token"} (stack.HOST and stack.CSRF_TOKEN, passed since importing stack would put this checkout
first on the path). For each page it serves the first ``warm_up`` requests, prints "ready <name>"
and waits for a line on stdin, serves the others, prints "done <name>" and waits again: the
instructions counted between the two lines (bench/instructions.py switches callgrind's counting on
and off meanwhile) are the measured requests' alone. An answer other than the page's (200, or 302
for a POST) stops it with the path and status.
"""

import importlib
import io
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, os.environ.get("BENCH_APP") or str(Path(__file__).resolve().parents[1]))

application = importlib.import_module("school.wsgi").application


def environ(method: str, path: str, session: str | None, options: dict) -> dict:
    """What gunicorn hands the app for the request stack.raw_request sends (from 127.0.0.1, whose
    X-Forwarded-Proto it trusts: https)."""
    host, csrf_token = options["host"], options["csrf_token"]
    cookies = f"csrftoken={csrf_token}" + (f"; sessionid={session}" if session else "")
    return {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": host, "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_REFERER": f"https://{host}/", "HTTP_COOKIE": cookies, "HTTP_X_CSRFTOKEN": csrf_token,
        "CONTENT_LENGTH": "0", "HTTP_CONNECTION": "close",
        "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "https",
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }


def serve(method: str, path: str, session: str | None, options: dict) -> None:
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    response = application(environ(method, path, session, options), start_response)
    try:
        b"".join(response)
    finally:
        response.close()
    expected = "302" if method == "POST" else "200"
    if not statuses[0].startswith(expected):
        raise SystemExit(f"{method} {path} answered {statuses[0]}, not {expected}")


def main(options: dict) -> None:
    for page in options["pages"]:
        requests = page["requests"]
        for path, session in requests[: options["warm_up"]]:
            serve(page["method"], path, session, options)
        print(f"ready {page['name']}", flush=True)
        sys.stdin.readline()
        for path, session in requests[options["warm_up"]:]:
            serve(page["method"], path, session, options)
        print(f"done {page['name']}", flush=True)
        sys.stdin.readline()


main(json.loads(sys.argv[1]))
