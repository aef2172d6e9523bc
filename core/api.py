"""The one NinjaAPI at /api/v1/: error rendering, authentication, and every app's router."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from core.auth import API_AUTH
from core.errors import ServiceUnavailable, ZhengqiError
from core.throttle import UserMinuteThrottle

logger = logging.getLogger("zhengqi.api")

_UNSAFE = ("post", "put", "patch", "delete")
_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}


class ZhengqiAPI(NinjaAPI):
    """The NinjaAPI, whose schema also documents the errors every operation of a kind can give.

    Those come from layers below the operations, so no operation declares them itself:
    400 `bad_request` for a request Django refuses before any view (a Host header this server does not
    serve; core.urls.handler400), 400 `malformed_json` and 413 `payload_too_large` for any request body
    (core.middleware), 405 `method_not_allowed` (with Allow) for a method the path does not take
    (core.middleware),
    403 for an unsafe request that carries a session cookie without the CSRF token, and
    429 `rate_limited` once a user goes over the per-user rate limit (core.throttle), and
    503 `database_unavailable` (with Retry-After) on any operation while the database cannot be reached,
    and 503 `positions_unavailable` (with Retry-After) on the operations that need live positions while
    their store (Redis) cannot be reached.
    """

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                common = []
                if "requestBody" in operation:
                    common += [(400, "Malformed body"), (413, "Body too large")]
                if method in _UNSAFE and {"SessionAuth": []} in operation.get("security", []):
                    common.append((403, "CSRF check failed (a browser session without its CSRF token)"))
                if operation.get("security"):
                    common.append((429, "Too many requests from this user; see Retry-After"))
                common.append((400, "Bad request (e.g. a Host header this server does not serve)"))
                for status, description in common:
                    responses.setdefault(status, {"description": description, "content": _ERROR_REF})
                responses.setdefault(
                    503,
                    {
                        "description": "The database is unavailable (`database_unavailable`), or, on operations "
                        "that need live positions, their store (`positions_unavailable`); retry after Retry-After",
                        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
                        "content": _ERROR_REF,
                    },
                )
        return schema


api = ZhengqiAPI(
    title="Zhengqi API",
    version="1",
    description="Mobilisation platform for volunteer police and industry liaisons. "
    "Errors are JSON {code, message, details}; lists are {items, count} with ?limit=&offset=.",
    urls_namespace="api-v1",
    auth=API_AUTH,
    throttle=[UserMinuteThrottle()],
    openapi_url="/openapi.json",
    docs_url="/docs",
)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    429: "rate_limited",
}


def _error(request: HttpRequest, status: int, code: str, message: str, details: object = None) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "details": details}, status=status)


@api.exception_handler(ZhengqiError)
def _domain_error(request: HttpRequest, exc: ZhengqiError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, ServiceUnavailable):
        response["Retry-After"] = str(exc.retry_after_s)
    return response


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {"loc": [str(part) for part in e.get("loc", ())], "type": e.get("type", ""), "msg": e.get("msg", "")}
        for e in exc.errors
    ]
    return _error(request, 422, "invalid_input", _("Some fields are not valid."), details)


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request, 401, "unauthorized", _("Log in first: the credentials are missing, wrong, expired or revoked.")
    )


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    return _error(request, 429, "rate_limited", _("Too many requests; wait a moment and try again."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError | UnicodeDecodeError):
        return _error(request, 400, "malformed_json", _("The request body is not valid JSON."))
    code = _STATUS_CODES.get(exc.status_code, "error")
    return _error(request, exc.status_code, code, str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found, or outside your jurisdiction."))


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The database is down or unreachable: a retryable 503 rather than a 500 (docs/DEPLOY.md, "Faults").
    logger.warning("database unavailable in %s %s: %s", request.method, request.path, exc)
    return unavailable_response(request)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    error = ServiceUnavailable()
    response = api.create_response(request, error.as_dict(), status=error.status)
    response["Retry-After"] = str(error.retry_after_s)
    return response


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A date that leaves the calendar when converted to UTC (year 1 at +08:00), or a number
    # too big for the database's integers: the caller's value, so a 422 rather than a 500.
    logger.info("value out of range in %s %s: %s", request.method, request.path, exc)
    return _error(request, 422, "out_of_range", _("A date or number is outside the range this service supports."))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Never a stack trace to the client; the log has it.
    logger.exception("unhandled error in %s %s", request.method, request.path)
    return _error(request, 500, "server_error", _("Something went wrong on our side; it has been logged."))


api.add_router("", "core.endpoints.auth.router")
api.add_router("", "core.endpoints.me.router")
api.add_router("", "core.endpoints.duty.router")
api.add_router("/areas", "core.endpoints.areas.router")
api.add_router("/people", "core.endpoints.people.router")
api.add_router("/teams", "core.endpoints.teams.router")
api.add_router("/audit", "core.endpoints.audit.router")
api.add_router("", "core.endpoints.heroes.router")
api.add_router("/alerts", "dispatch.api.router")

api.add_router("", "liaisons.api.router")

api.add_router("", "training.api.router")

api.add_router("/reports", "dispatch.api_evaluation.router")
