"""gunicorn settings from the environment (Heroku-style platforms set PORT and WEB_CONCURRENCY)."""

import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Django logs one line per request (school.middleware.RequestLogMiddleware);
# gunicorn logs its own events and worker errors, all to stdout/stderr.
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
