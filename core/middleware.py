"""Middleware: serve static files, refuse oversized API bodies early, remember the client's address
for audit entries, answer a wrong method under /api/ in JSON, send a Content-Security-Policy with the
pages, and keep the whole chain in one thread under ASGI."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

from core.context import bind_request
from core.errors import MethodNotAllowed, PayloadTooLarge, ZhengqiError


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise (hashed names, compressed variants, cache headers, ranges), answering with the file's
    bytes instead of a stream of them.

    Under ASGI Django cannot stream a synchronous file iterator: it reads the whole file in a worker
    thread first and warns on every request (`make demo` serves its static files this way; nginx does
    in production). Read here, inside the synchronous chain, the file costs the same and nothing warns.
    The largest static file is a few hundred kilobytes.
    """

    @staticmethod
    def serve(static_file: Any, request: HttpRequest) -> HttpResponse:
        answer = static_file.get_response(request.method, request.META)
        body = b""
        if answer.file is not None:  # None for a HEAD or a 304
            with answer.file as file:
                body = file.read()
        response = HttpResponse(body, status=int(answer.status))
        del response["Content-Type"]
        for key, value in answer.headers:
            response[key] = value
        return response


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
                return _error_response(PayloadTooLarge(details={"max_bytes": limit}))
        return self.get_response(request)


def _error_response(error: ZhengqiError) -> HttpResponse:
    return HttpResponse(
        json.dumps(error.as_dict(), ensure_ascii=False), status=error.status, content_type="application/json"
    )


class MethodNotAllowedMiddleware:
    """A 405 under /api/ as the contract's JSON error (`method_not_allowed`), keeping its Allow header.

    django-ninja answers a method that a path does not have with Django's plain-text
    HttpResponseNotAllowed, from the path's view before any operation (and so any of the API's
    exception handlers) runs. Below LocaleMiddleware, so the message is in the caller's language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allowed = response.get("Allow", "")
            answer = _error_response(
                MethodNotAllowed(details={"allowed": [m.strip() for m in allowed.split(",") if m.strip()]})
            )
            answer["Allow"] = allowed
            return answer
        return response


def tile_source(url: str) -> str:
    """The CSP source that lets the map load tiles from `url` ("" when there is no tile server).

    Leaflet templates put `{s}` (the subdomain) in the host: `https://webrd0{s}.is.autonavi.com/...`
    becomes `https://*.is.autonavi.com`. A placeholder anywhere else in the host is too wide to express
    as a host source, so the tile server's scheme alone is allowed then.
    """
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    labels = parts.netloc.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label for label in labels):
        return f"{parts.scheme}:"
    return f"{parts.scheme}://{'.'.join(labels)}"


def content_security_policy(*, host: str | None, tile_url: str) -> str:
    """The pages' policy: our own scripts only (no inline code), our sockets, the map's tile server.

    Styles allow 'unsafe-inline' because Leaflet positions tiles and markers with style attributes
    (and the legend swatches use them); scripts never do.
    """
    tiles = tile_source(tile_url)
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": " ".join(filter(None, ["'self'", "data:", "blob:", tiles])),
        "connect-src": f"'self' ws://{host} wss://{host}" if host else "'self'",
        "font-src": "'self'",
        "worker-src": "'self'",
        "manifest-src": "'self'",
        "object-src": "'none'",
        "frame-ancestors": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    """Content-Security-Policy on every response outside /api/ (the pages, the admin, static files).

    The API answers JSON, where a policy does nothing, and its interactive docs load Swagger UI with an
    inline script, so /api/ is left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/") and "Content-Security-Policy" not in response:
            try:
                host: str | None = request.get_host()
            except DisallowedHost:  # the 400 for a foreign Host header still gets a policy
                host = None
            response["Content-Security-Policy"] = content_security_policy(host=host, tile_url=settings.MAP_TILE_URL)
        return response


class SyncChainMiddleware:
    """Last in MIDDLEWARE: under ASGI, every middleware above it runs in one thread, in one go.

    Django runs a middleware that can be async in async mode whenever the handler below it is async,
    and under ASGI the innermost handler is. Its own middleware (sessions, locale, common, CSRF,
    auth, messages...) then hands each hook to a worker thread and back to the event loop: 17-18
    round trips a request, each waiting for a turn of a loop that may be busy pushing an alert to
    a thousand sockets. The views are synchronous anyway. Being sync-only and innermost, this one
    makes Django run everything above it synchronously in one trip; 5 remain in all (the start and
    finish signals, the chain, CSRF's `process_view`, the view), as
    `tests/core/test_middleware_chain.py` counts.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)
