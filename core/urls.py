from __future__ import annotations

import json
import sys

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from core.api import api
from core.errors import ServiceUnavailable, is_database_unavailable


def _json_error(status: int, code: str, message: str) -> HttpResponse:
    body = json.dumps({"code": code, "message": message, "details": None}, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type="application/json")


@csrf_exempt  # it changes nothing; without this a POST with a session cookie got Django's HTML 403 page
def api_not_found(request: HttpRequest) -> HttpResponse:
    # The contract promises JSON errors under /api/, also for URLs no router knows (even with DEBUG on).
    return _json_error(404, "not_found", _("Not found, or outside your jurisdiction."))


urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/", api_not_found),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the pages' language switch
    path("", include("core.web.urls")),
]


def handler500(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except`: a lost database (e.g. in a middleware) is a retryable 503.
    if is_database_unavailable(sys.exc_info()[1]):
        error = ServiceUnavailable()
        if request.path.startswith("/api/"):
            response = _json_error(error.status, error.code, str(error.message))
        else:
            response = HttpResponse(str(error.message), status=error.status, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(error.retry_after_s)
        return response
    if request.path.startswith("/api/"):
        return _json_error(500, "server_error", _("Something went wrong on our side; it has been logged."))
    return defaults.server_error(request)


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Django answers a request it refuses before any view (a Host header not in ALLOWED_HOSTS, a
    # suspicious operation) through here: under /api/ that error is JSON too, as the contract says.
    if request.path.startswith("/api/"):
        return _json_error(400, "bad_request", _("The request is not valid."))
    return defaults.bad_request(request, exception)
