import json
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from school import views


def page_message(html: str) -> str:
    return re.search(r"<h1>.*?</h1>\s*<p>(.*?)</p>", html, re.S).group(1)


@pytest.mark.parametrize(("handler", "status", "text"), [
    (lambda request: views.permission_denied(request, PermissionDenied()), 403, "You do not have permission"),
    (lambda request: views.page_not_found(request, None), 404, "We could not find that page."),
    (views.server_error, 500, "Something went wrong on our side."),
])
def test_error_pages_are_ours_in_html_and_json(handler, status, text):
    page = handler(RequestFactory().get("/courses/"))
    assert page.status_code == status and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert text in html and "Back to the home page" in html and "Traceback" not in html

    api = handler(RequestFactory().get("/api/courses/"))
    assert api.status_code == status and api["Content-Type"] == "application/json"
    assert json.loads(api.content)["error"]["message"] == page_message(html)


def test_a_500_caused_by_the_database_is_a_503():
    from pymongo.errors import ServerSelectionTimeoutError

    request = RequestFactory().get("/courses/")
    try:
        raise RuntimeError("query failed") from ServerSelectionTimeoutError("down")
    except RuntimeError:
        response = views.server_error(request)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "briefly unavailable" in response.content.decode()
