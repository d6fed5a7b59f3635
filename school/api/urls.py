"""The API's URLs: the endpoints of every app, its OpenAPI schema and its docs, under /api/."""

from functools import wraps

from django.http import HttpResponseNotAllowed
from django.urls import URLPattern, path, re_path
from django.views.generic import RedirectView
from ninja import NinjaAPI, Swagger

from accounts.api import router as accounts_router
from catalog.api import router as catalog_router
from enrollment.api import refused as enrollment_refused
from enrollment.api import router as enrollment_router
from enrollment.holds_api import router as holds_router
from enrollment.services import EnrollmentError
from enrollment.teaching_api import router as teaching_router
from school.views import page_not_found

from . import errors

api = NinjaAPI(
    title="Registrar API",
    version="1",
    description=(
        "The school's catalog and enrollments as JSON. Scripts authenticate with an API token made on "
        "the profile page (`Authorization: Bearer <token>`); the browser uses its session and sends "
        "the CSRF token on writes. Every error has the shape `{\"error\": {\"code\", \"message\", "
        "\"fields\"?, \"reasons\"?}}`."
    ),
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url="/docs/",
    # Deep links make each operation's path a link inside its expand button, a control
    # nested in a control that keyboards and screen readers cannot use.
    docs=Swagger(settings={"deepLinking": False}),
)
errors.install(api)
api.add_exception_handler(EnrollmentError, enrollment_refused)
api.add_router("/courses/", catalog_router)
api.add_router("/", enrollment_router)
api.add_router("/users/", accounts_router)
api.add_router("/teaching/", teaching_router)
api.add_router("/holds/", holds_router)


def json_errors(view):
    """What ninja answers outside an endpoint (a wrong method, an error in a rate limit) in the one shape.

    HEAD is answered as GET without the body, as Django's own views do
    (ninja would refuse it with a 405).
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        try:
            response = view(request, *args, **kwargs)
        except Exception as exc:
            response = errors.unexpected(request, exc)
        if isinstance(response, HttpResponseNotAllowed):
            response = errors.method_not_allowed(response)
        if head:
            request.method = "HEAD"
            response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response

    return wrapped


patterns, _app_name, _namespace = api.urls
app_name = "api"
urlpatterns = [
    *(URLPattern(p.pattern, json_errors(p.callback), p.default_args, p.name) for p in patterns
      if p.name != "api-root"),
    # Ninja's own root is a 404 unless DEBUG; the docs are the better answer.
    path("", RedirectView.as_view(pattern_name="api:openapi-view"), name="api-root"),
    # Any other /api/ address is a JSON 404, even with DEBUG on and without a
    # trailing slash (a redirect would turn a POST into a GET).
    re_path(r"", page_not_found),
]
