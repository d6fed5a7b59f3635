"""One clear message when MongoDB cannot be reached, instead of a traceback.

The message names the hosts (never the credentials): it is for operators, in
commands and the log. Visitors get ``school.views.UNAVAILABLE`` instead.
"""

import contextlib
import sys

from django.conf import settings
from django.db import connection
from pymongo.errors import ConnectionFailure, OperationFailure, ServerSelectionTimeoutError
from pymongo.uri_parser import parse_uri

from .redaction import mask_uri

# MongoDB's code for refused credentials: for the app, a database it cannot use.
AUTHENTICATION_FAILED = 18


def unreachable_cause(error: BaseException | None) -> BaseException | None:
    """The connection failure behind error, if any.

    django-mongodb-backend re-raises pymongo's errors as Django's
    DatabaseError, keeping the original as ``__cause__``.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, ConnectionFailure) or _refused_credentials(error):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def _refused_credentials(error: BaseException) -> bool:
    return isinstance(error, OperationFailure) and error.code == AUTHENTICATION_FAILED


def database_hosts() -> str:
    uri = connection.settings_dict["HOST"]
    try:
        nodes = parse_uri(uri)["nodelist"]
    except Exception:
        return mask_uri(uri)
    return ", ".join(f"{host}:{port}" for host, port in nodes)


def unreachable_message(error: BaseException) -> str:
    if not type(error).__module__.startswith("pymongo"):
        # The only other ConnectionFailure is the development launcher's
        # (embedded_mongodb, which production never imports): its message
        # says what went wrong and what to do.
        return f"The embedded MongoDB server could not start: {error}"
    if _refused_credentials(error):
        return f"MongoDB at {database_hosts()} refused the credentials. Check the user and password in MONGODB_URI."
    if settings.MONGODB_URI:
        remedy = "Check that MongoDB is running there and that MONGODB_URI is right."
    else:
        remedy = "The embedded server stopped; run the command again to restart it."
    detail = "timed out" if isinstance(error, ServerSelectionTimeoutError) else type(error).__name__
    return f"Cannot reach MongoDB at {database_hosts()} ({detail}). {remedy}"


@contextlib.contextmanager
def exit_if_unreachable():
    try:
        yield
    except Exception as error:
        cause = unreachable_cause(error)
        if cause is None:
            raise
        print(f"Error: {unreachable_message(cause)}", file=sys.stderr)
        sys.exit(1)
