import ipaddress
import logging
import time

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent

from .database import unreachable_cause
from .redaction import loggable
from .views import database_unavailable, too_many_parameters


class ClientAddressMiddleware:
    """Put the client's own address in REMOTE_ADDR, read from X-Forwarded-For behind NUM_PROXIES proxies.

    Each trusted proxy appends the address it received the request from, so
    the client is the NUM_PROXIES-th entry from the right; anything left of
    it was written by the client and is ignored. Everything that reads the
    address (allauth's and the API's rate limits, the request log) then
    agrees, and reads REMOTE_ADDR only (their own proxy counts are 0).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.proxies = settings.NUM_PROXIES

    def __call__(self, request):
        if self.proxies and (client := self.client_address(request.headers.get("X-Forwarded-For", ""))):
            request.META["REMOTE_ADDR"] = client
        return self.get_response(request)

    def client_address(self, forwarded_for: str) -> str | None:
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        if len(hops) < self.proxies:
            # Fewer hops than proxies: the request did not come through them all.
            return None
        try:
            return str(ipaddress.ip_address(hops[-self.proxies]))
        except ValueError:
            return None


class DatabaseUnavailableMiddleware:
    """Answer 503 with a clear message while MongoDB cannot be reached.

    Views and templates raise pymongo's ConnectionFailure when the database is
    down; pymongo reconnects by itself, so the next request after MongoDB
    returns is served normally.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if cause := unreachable_cause(exception):
            return database_unavailable(request, cause)
        return None


class QueryLimitMiddleware:
    """An address with more parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS: one 400 before any view runs.

    Django raises from the first read of request.GET, wherever that is (for
    the API, inside an endpoint, which answered 500); in debug mode its error
    page then reads request.GET again and fails a second time.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            _ = request.GET  # parsed now, so that a refusal happens here
        except TooManyFieldsSent:
            return too_many_parameters(request)
        return self.get_response(request)


request_log = logging.getLogger("registrar.requests")

# URL parameters that are credentials (allauth's password-reset and
# email-confirmation keys): logged as their name, never their value.
SECRET_URL_PARAMETERS = ("key",)


class RequestLogMiddleware:
    """One log line per request: client address, method, path, status and duration.

    The path without its query string (which may carry a token or an email
    address) and with secret URL parameters replaced by their names.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration = (time.perf_counter() - started) * 1000
        request_log.info(
            "%s %s %s %s %.1fms", request.META.get("REMOTE_ADDR", "-"), loggable(request.method),
            loggable(logged_path(request)), response.status_code, duration,
            extra={"status": response.status_code, "duration_ms": round(duration, 1)},
        )
        return response


def logged_path(request) -> str:
    path = request.path
    parameters = request.resolver_match.kwargs if request.resolver_match else {}
    for name in SECRET_URL_PARAMETERS:
        if value := parameters.get(name):
            path = path.replace(value, f"<{name}>")
    return path
