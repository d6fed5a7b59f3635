"""Development: the embedded database unless MONGODB_URI is set, email to the console."""

import secrets

from embedded_mongodb.launcher import ensure_server

from .base import *  # noqa: F403
from .base import BASE_DIR, EMBEDDED_MONGODB_PATH, MONGODB_NAME, MONGODB_URI, env, mailer_from_url, mongodb_database


def _development_secret_key() -> str:
    """A random key made once per checkout, so sessions survive restarts."""
    path = BASE_DIR / "var" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default=None) or _development_secret_key()
MAILERS = {"default": mailer_from_url(env("EMAIL_URL", default="console://"))}
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")

DATABASES = {"default": mongodb_database(MONGODB_URI or ensure_server(EMBEDDED_MONGODB_PATH), MONGODB_NAME)}

# Serve static files straight from the apps and static/, no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
