"""Settings shared by every environment; each value can come from the environment.

Every variable read here is listed, with its default, in the README's
configuration table and in ``.env.example``. Nothing here reads ``.env``
(development settings do, see ``dotenv.py``) or starts a database.
"""

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- Database -----------------------------------------------------------------
MONGODB_URI = env("MONGODB_URI", default="")
MONGODB_NAME = env("MONGODB_NAME", default="registrar")


def mongodb_database(uri: str, name: str) -> dict:
    return {
        "ENGINE": "django_mongodb_backend",
        "HOST": uri,
        "NAME": name,
        # Fail in seconds with one clear message instead of pymongo's 30 s wait.
        "OPTIONS": {
            "serverSelectionTimeoutMS": env.int("MONGODB_TIMEOUT_MS", default=5000),
            "connectTimeoutMS": env.int("MONGODB_TIMEOUT_MS", default=5000),
        },
    }


DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
ALLAUTH_DEFAULT_AUTO_FIELD = DEFAULT_AUTO_FIELD
# Django's and allauth's own migrations use integer keys; ours are generated
# with ObjectIdAutoField (``makemigrations``) into school/mongo_migrations.
MIGRATION_MODULES = {
    "admin": "school.mongo_migrations.admin",
    "auth": "school.mongo_migrations.auth",
    "contenttypes": "school.mongo_migrations.contenttypes",
    "account": "school.mongo_migrations.account",
}

# --- Applications ---------------------------------------------------------------
INSTALLED_APPS = [
    # Django
    "school.apps.MongoAdminConfig",
    "school.apps.MongoAuthConfig",
    "school.apps.MongoContentTypesConfig",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Third party
    "allauth",
    "allauth.account",
    "ninja",  # serves the API docs' scripts from static files, not a CDN
    # Local
    "accounts",
    "catalog",
    "enrollment",
    "taskqueue",
]

MIDDLEWARE = [
    "school.middleware.ClientAddressMiddleware",
    "school.middleware.RequestLogMiddleware",
    "school.middleware.QueryLimitMiddleware",
    "school.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "school.urls"
WSGI_APPLICATION = "school.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Errors of a whole form (a wrong password) are announced with its fields, and the
# plain widgets render in Python (the same HTML, a fraction of the CPU).
FORM_RENDERER = "school.forms.AccessibleFormRenderer"

# --- Authentication -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupNamesForm"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
# HMAC confirmation keys sign the EmailAddress primary key as JSON, which an
# ObjectId is not; stored confirmations use a random key instead.
ACCOUNT_EMAIL_CONFIRMATION_HMAC = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None

# --- Email ------------------------------------------------------------------------
# EMAIL_URL names the mailer: console://, locmem:// or
# smtp://user:password@host:port (smtps:// or ?tls=true for encryption).
MAILER_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
}


def mailer_from_url(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in MAILER_BACKENDS:
        raise ImproperlyConfigured(f"EMAIL_URL must start with one of {', '.join(MAILER_BACKENDS)}: got {url!r}")
    mailer = {"BACKEND": MAILER_BACKENDS[parts.scheme]}
    if parts.scheme.startswith("smtp"):
        query = parse_qs(parts.query)
        mailer["OPTIONS"] = {
            "host": parts.hostname or "localhost",
            "port": parts.port or (465 if parts.scheme == "smtps" else 25),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_ssl": parts.scheme == "smtps",
            "use_tls": query.get("tls", ["false"])[0].lower() in ("1", "true", "yes"),
            # A worker's lease on a task (taskqueue) must outlast one delivery.
            "timeout": 30,
        }
    return mailer


def queued_mailers(outgoing: dict) -> dict:
    """Email is queued as a task (school.mail) and delivered by a worker through ``outgoing``."""
    return {"default": {"BACKEND": "school.mail.QueuedEmailBackend"}, "outgoing": outgoing}


MAILERS = queued_mailers(mailer_from_url(env("EMAIL_URL", default="smtp://localhost:25")))
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Registrar <registrar@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Tasks ---------------------------------------------------------------------------
# Kept in MongoDB and run by ``manage.py run_tasks`` (the Procfile's worker);
# failed attempts are tried again with backoff (taskqueue.backend).
TASKS = {"default": {"BACKEND": "taskqueue.backend.MongoTaskBackend"}}

# --- Cache, sessions, messages ---------------------------------------------------------
# One cache shared by every gunicorn worker (rate limits, sessions): Redis when
# REDIS_URL is set (several machines), else files under var/ (one machine).
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            # Django's file cache with add and incr atomic (the rate limits need them).
            "BACKEND": "school.cache.FileCache",
            "LOCATION": env("DJANGO_CACHE_DIR", default=str(BASE_DIR / "var" / "cache")),
            # Django's default of 300 entries would evict the sessions of a
            # school's logged-in students (each then costs a query again).
            # Each write lists the directory to decide on culling: ~15 ms at
            # this size, paid at logins, not on ordinary page views.
            "OPTIONS": {"MAX_ENTRIES": env.int("DJANGO_CACHE_MAX_ENTRIES", default=10_000)},
        }
    }
# Sessions live in MongoDB and are read through the shared cache: most
# requests then cost no session query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Django's default message storage: a signed cookie, the session only for what
# does not fit. A "You are enrolled" then costs no session write.

# --- The client's address ----------------------------------------------------------------
# Behind N trusted proxies (Heroku's router is one) set this to N:
# ClientAddressMiddleware then puts the client's address, read from
# X-Forwarded-For, in REMOTE_ADDR for everyone (allauth's and the API's rate
# limits, the request log). Read without proxies, that header would let a
# caller pick their own address.
NUM_PROXIES = env.int("DJANGO_NUM_PROXIES", default=0)
# Already applied by the middleware: counting the proxies again would take a
# proxy's address for the client's (ninja's default would even trust the header).
NINJA_NUM_PROXIES = 0
ALLAUTH_TRUSTED_PROXY_COUNT = 0

# --- API ---------------------------------------------------------------------------------
# How long an API token lives; a user holds at most ten live ones.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=90)

# --- Security headers ------------------------------------------------------------------
# No inline script or style anywhere: every page loads its CSS and JS from
# static files, so the policy needs no 'unsafe-inline'.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation ----------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Registrar rules -------------------------------------------------------------------
REGISTRAR_CREDIT_LIMIT = env.int("REGISTRAR_CREDIT_LIMIT", default=18)
# Whom students are told to ask for what only the registrar may do (a
# withdrawal after its deadline), in a sentence: "… ask the Registrar's Office."
REGISTRAR_OFFICE = env("REGISTRAR_OFFICE", default="the Registrar's Office")

# --- Logging ------------------------------------------------------------------------------
# The debug page and error reports show URIs with their passwords masked.
DEFAULT_EXCEPTION_REPORTER_FILTER = "school.redaction.ExceptionReporterFilter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stdout"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}
