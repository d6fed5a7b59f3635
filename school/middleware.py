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
