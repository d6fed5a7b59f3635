import logging
import sys

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .database import unreachable_cause, unreachable_message

logger = logging.getLogger(__name__)

# What a visitor learns of an outage: no host, port or URI (the log has them).
UNAVAILABLE = "The database is not answering; try again in a minute."


@never_cache
@require_safe
def healthz(request):
    try:
        connection.ensure_connection()
        info = connection.connection.admin.command("ping")
    except Exception as error:
        cause = unreachable_cause(error)
        if cause is None:
            raise
        logger.error("health check: %s", unreachable_message(cause))
        return JsonResponse({"status": "unavailable", "database": UNAVAILABLE}, status=503)
    return JsonResponse({"status": "ok", "database": "ok" if info.get("ok") else "error"})


def wants_json(request) -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def database_unavailable(request, error):
    logger.error("database unavailable: %s", unreachable_message(error))
    if wants_json(request):
        response = JsonResponse(
            {"error": {"code": "database_unavailable", "message": UNAVAILABLE}}, status=503
        )
    else:
        response = render(request, "errors/503.html", {"message": UNAVAILABLE}, status=503)
    response["Retry-After"] = "5"
    return response


def too_many_parameters(request):
    return _error_page(request, 400, f"The address has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} parameters.",
                       code="too_many_parameters")


def permission_denied(request, exception=None):
    return _error_page(request, 403, "You do not have permission to do that.")


def page_not_found(request, exception=None):
    return _error_page(request, 404, "We could not find that page.")


def server_error(request):
    if cause := unreachable_cause(sys.exc_info()[1]):
        return database_unavailable(request, cause)
    return _error_page(request, 500, "Something went wrong on our side. It has been logged.")


def _error_page(request, status: int, message: str, code: str | None = None):
    if wants_json(request):
        codes = {403: "permission_denied", 404: "not_found", 500: "server_error"}
        return JsonResponse({"error": {"code": code or codes[status], "message": message}}, status=status)
    # Rendered without the request's context processors, which may need the
    # database that has just failed.
    template = loader.get_template(f"errors/{status}.html")
    return HttpResponse(template.render({"message": message, "status": status}), status=status)
