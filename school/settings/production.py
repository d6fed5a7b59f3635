"""Production: everything from the environment, safe by default.

Refuses to start without DJANGO_SECRET_KEY or MONGODB_URI. Production runs on
the MongoDB that MONGODB_URI names: it never starts the embedded development
server, never imports it, and never reads a ``.env`` file.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import MONGODB_NAME, MONGODB_URI, env, mongodb_database

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = False

if not MONGODB_URI:
    raise ImproperlyConfigured("Set the MONGODB_URI environment variable: production runs on a real MongoDB.")
DATABASES = {"default": mongodb_database(MONGODB_URI, MONGODB_NAME)}

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
