from __future__ import annotations

import json

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from core.api import api


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
    if request.path.startswith("/api/"):
        return _json_error(500, "server_error", _("Something went wrong on our side; it has been logged."))
    return defaults.server_error(request)
