"""One clear message when MongoDB cannot be reached, instead of a traceback."""

import contextlib
import sys

from django.conf import settings
from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError
from pymongo.uri_parser import parse_uri

from school.embedded_mongo.launcher import EmbeddedServerError

UNREACHABLE_ERRORS = (ConnectionFailure, EmbeddedServerError)


def database_hosts() -> str:
    uri = settings.DATABASES["default"]["HOST"]
    try:
        nodes = parse_uri(uri)["nodelist"]
    except Exception:
        return uri
    return ", ".join(f"{host}:{port}" for host, port in nodes)


def unreachable_message(error: BaseException) -> str:
    if isinstance(error, EmbeddedServerError):
        return f"The embedded MongoDB server could not start: {error}"
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
    except UNREACHABLE_ERRORS as error:
        print(f"Error: {unreachable_message(error)}", file=sys.stderr)
        sys.exit(1)
