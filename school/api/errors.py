"""The API's one error shape, built here and only here for every refusal the API makes.

``{"error": {"code": "not_eligible", "message": "…", "fields": {…}, "reasons": […]}}``
— ``fields`` for input that did not validate, ``reasons`` for a rule that
refused. The site-wide 403/404/500 handlers in ``school.views`` answer the same
shape for /api/ paths that never reach an endpoint.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from school.views import server_error

logger = logging.getLogger(__name__)

# The code and message of an error that has nothing more specific to say.
CODES = {
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    429: "rate_limited",
}
MESSAGES = {
    401: "Log in, or send an API token as “Authorization: Bearer <token>”.",
    403: "You do not have permission to do that.",
    404: "Not found.",
    405: "That method is not allowed here.",
    429: "Too many requests: wait and try again.",
}


class ReasonOut(Schema):
    code: str
    message: str
    blocking: bool


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] | None = None
    reasons: list[ReasonOut] | None = None


class ErrorOut(Schema):
    error: ErrorDetail


class InvalidInput(Exception):
    """Input a Django form refused: its errors become the error's ``fields``."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.fields = errors


def errors(*statuses: int) -> dict:
    """The documented error responses of an endpoint, for its ``response=`` mapping."""
    return dict.fromkeys(statuses, ErrorOut)


def api_error(status: int, code: str | None = None, message: str | None = None, *, fields=None, reasons=None,
              headers=None) -> JsonResponse:
    error = {"code": code or CODES[status], "message": message or MESSAGES[status]}
    if fields:
        error["fields"] = fields
    if reasons:
        error["reasons"] = [{"code": r.code, "message": r.message, "blocking": r.blocking} for r in reasons]
    return JsonResponse({"error": error}, status=status, headers=headers)


def method_not_allowed(response: HttpResponseNotAllowed) -> JsonResponse:
    return api_error(405, headers={"Allow": response["Allow"]})


def install(api) -> None:
    """Route every exception an endpoint can raise to the one shape."""
    api.add_exception_handler(ValidationError, _invalid_params)
    api.add_exception_handler(InvalidInput, lambda request, exc: _invalid(exc.fields))
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(Http404, lambda request, exc: api_error(404))
    api.add_exception_handler(PermissionDenied, lambda request, exc: api_error(403, message=str(exc) or None))
    api.add_exception_handler(RequestDataTooBig, _too_large)
    api.add_exception_handler(Exception, unexpected)


def unexpected(request, exc) -> JsonResponse:
    """A bug or an outage: logged here, answered by the site's handler (503 when MongoDB is down)."""
    logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
    return server_error(request)


def _invalid(fields: dict[str, list[str]]) -> JsonResponse:
    return api_error(400, "invalid", "Some values are not valid; see “fields”.", fields=fields)


def _invalid_params(request, exc: ValidationError) -> JsonResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        # loc is (source, [body parameter name,] field…): name the field only.
        source, *location = error["loc"]
        if source == "body":
            location = location[1:]
        fields.setdefault(".".join(map(str, location)) or source, []).append(error["msg"])
    return _invalid(fields)


def _http_error(request, exc: HttpError) -> JsonResponse:
    status = exc.status_code
    if isinstance(exc, Throttled):
        return api_error(429, headers={"Retry-After": str(max(int(exc.wait or 1), 1))})
    if isinstance(exc, AuthenticationError):
        # Ninja's own "Unauthorized" (no credentials at all) gets our fuller message.
        message = exc.message if exc.message != "Unauthorized" else None
        return api_error(401, message=message, headers={"WWW-Authenticate": 'Bearer realm="api"'})
    if status == 400:
        # Ninja raises a bare 400 only for a body it cannot parse.
        return api_error(400, "malformed_body", "The request body is not valid JSON.")
    if status == 403 and exc.message.startswith("CSRF"):
        # Ninja's session auth refused a cookie-authenticated write without the token.
        return api_error(403, "csrf_failed", "Send the csrftoken cookie's value in an X-CSRFToken header.")
    return api_error(status, message=exc.message)


def _too_large(request, exc: RequestDataTooBig) -> JsonResponse:
    # Django refuses from the Content-Length header alone, before reading the body.
    return api_error(413, "too_large",
                     f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")

