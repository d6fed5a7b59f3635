"""gunicorn settings from the environment (Heroku-style platforms set PORT and WEB_CONCURRENCY).

Sync workers, one request at a time each, by default: a worker accepts a
connection only when it is free and closes it after the response, so the
kernel hands each new request to an idle worker and load spreads evenly.
With threaded workers (``gthread``) one worker keeps every keep-alive
connection it accepted, up to its thread count: a browser's or a proxy's
connections could all land on one worker while the other sat idle (wrk's
four connections did, measuring 96 requests/s instead of 173 in one run), and
the threads of a worker share one interpreter lock, so two requests on one
worker take turns anyway. More processes, each serving one request, use
the cores; ``bench/run.py`` measures the spread (its slowest run of a page
against its median). A worker holds the memory of one Django process
(~80 MB), so the default of 4 fits a 512 MB dyno. A client that sends its
request slowly holds a sync worker (up to the 30 s timeout) where it would
hold a thread: behind a platform's router, which forwards whole requests,
that does not happen. ``GUNICORN_THREADS`` above 1 selects threaded workers again.
"""

import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Connections waiting for a free worker: a registration rush opens a thousand at once.
backlog = 2048
# Django logs one line per request (school.middleware.RequestLogMiddleware);
# gunicorn logs its own events and worker errors, all to stdout/stderr.
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
