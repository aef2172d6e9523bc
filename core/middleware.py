"""Middleware: refuse oversized API bodies early, and remember the client's address for audit entries."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.context import bind_request
from core.errors import PayloadTooLarge


class BodySizeLimitMiddleware:
    """413 with the contract's JSON error before a too-large API body is read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        bind_request(request)
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = (
                settings.API_MAX_UPLOAD_BYTES
                if request.path.startswith(settings.API_UPLOAD_PATHS)
                else settings.API_MAX_BODY_BYTES
            )
            if length > limit:
                error = PayloadTooLarge(details={"max_bytes": limit})
                return HttpResponse(
                    json.dumps(error.as_dict(), ensure_ascii=False),
                    status=error.status,
                    content_type="application/json",
                )
        return self.get_response(request)
