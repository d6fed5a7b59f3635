"""Tests: a throw-away embedded server per test process, or MONGODB_URI's real MongoDB.

Against a real MongoDB, Django's test runner creates and drops its own
``test_<MONGODB_NAME>`` database, so the suite never touches real data.
"""

from embedded_mongodb.testing import throwaway_server_uri

from .dotenv import read_dot_env

read_dot_env()

from .base import *  # noqa: E402, F403
from .base import MONGODB_NAME, MONGODB_URI, mailer_from_url, mongodb_database, queued_mailers  # noqa: E402

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-used-anywhere-else"
# Argon2 is deliberately slow; tests that check hashing ask for it by name.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Django's test runner sends every mailer's email straight to mail.outbox;
# tests of the queue put QueuedEmailBackend back (taskqueue/tests).
MAILERS = queued_mailers(mailer_from_url("locmem://"))
ACCOUNT_EMAIL_VERIFICATION = "optional"

DATABASES = {"default": mongodb_database(MONGODB_URI or throwaway_server_uri(), MONGODB_NAME)}

# Serve static files straight from the apps and static/, no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
