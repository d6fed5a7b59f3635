import logging
import time

from .database import unreachable_cause
from .views import database_unavailable


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


request_log = logging.getLogger("registrar.requests")


class RequestLogMiddleware:
    """One log line per request: method, path, status and duration.

    A view whose address holds a secret sets ``request.log_path`` to the address without it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration = (time.perf_counter() - started) * 1000
        request_log.info(
            "%s %s %s %.1fms", request.method, getattr(request, "log_path", None) or request.get_full_path(),
            response.status_code, duration,
            extra={"status": response.status_code, "duration_ms": round(duration, 1)},
        )
        return response
