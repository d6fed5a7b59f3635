"""Production: everything from the environment, safe by default.

Refuses to start without DJANGO_SECRET_KEY. Without MONGODB_URI it still runs
on the embedded server (a single-machine deployment or a benchmark); a real
deployment names its MongoDB with MONGODB_URI.
"""

from embedded_mongodb.launcher import ensure_server

from .base import *  # noqa: F403
from .base import EMBEDDED_MONGODB_PATH, MONGODB_NAME, MONGODB_URI, env, mongodb_database

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = False

DATABASES = {"default": mongodb_database(MONGODB_URI or ensure_server(EMBEDDED_MONGODB_PATH), MONGODB_NAME)}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
