"""Development: the embedded database unless MONGODB_URI is set, email to the console.

A developer's ``.env`` is read first, so that the shared settings see it.
Everything the checkout keeps for itself lives in ``var/``, readable by its
owner only: the embedded database and its credentials, the secret key, the
file cache.
"""

import secrets
from pathlib import Path

from embedded_mongodb.files import write_private
from embedded_mongodb.launcher import ensure_server

from .dotenv import read_dot_env

read_dot_env()

from .base import *  # noqa: E402, F403
from .base import (  # noqa: E402
    BASE_DIR,
    MONGODB_NAME,
    MONGODB_URI,
    env,
    mailer_from_url,
    mongodb_database,
    queued_mailers,
)

VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(mode=0o700, exist_ok=True)
VAR_DIR.chmod(0o700)  # made readable by older versions


def _development_secret_key() -> str:
    """A random key made once per checkout, so sessions survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        write_private(path, secrets.token_urlsafe(50))
    path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default=None) or _development_secret_key()
# bin/run starts a worker, which prints the emails.
MAILERS = queued_mailers(mailer_from_url(env("EMAIL_URL", default="console://")))
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")

# Where the embedded server keeps its data when MONGODB_URI is unset.
EMBEDDED_MONGODB_PATH = Path(env("EMBEDDED_MONGODB_PATH", default=str(VAR_DIR / "registrar.sqlite3")))
DATABASES = {"default": mongodb_database(MONGODB_URI or ensure_server(EMBEDDED_MONGODB_PATH), MONGODB_NAME)}

# Serve static files straight from the apps and static/, no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
