"""Domain errors: each carries an HTTP status, a machine-readable code and a translatable message.

Services and selectors raise these; the API and the sockets render them. The
message is a lazy translation, so the client gets it in its own language.
"""

from __future__ import annotations

from typing import Any

from django.db import InterfaceError, OperationalError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ZhengqiError(Exception):
    status: int = 400
    code: str = "bad_request"
    default_message: str | Promise = _("The request is not valid.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        code: str | None = None,
        details: Any = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        self.details = details
        super().__init__(f"{self.code}: {self.message}")

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "details": self.details}


class InvalidInput(ZhengqiError):
    status = 422
    code = "invalid_input"
    default_message = _("Some fields are not valid.")


class Unauthorized(ZhengqiError):
    status = 401
    code = "unauthorized"
    default_message = _("Log in first: the credentials are missing, wrong, expired or revoked.")


class Forbidden(ZhengqiError):
    status = 403
    code = "forbidden"
    default_message = _("Your role does not allow this.")


class NotFound(ZhengqiError):
    status = 404
    code = "not_found"
    default_message = _("Not found, or outside your jurisdiction.")


class Conflict(ZhengqiError):
    status = 409
    code = "conflict"
    default_message = _("This conflicts with the current state.")


class MethodNotAllowed(ZhengqiError):
    status = 405
    code = "method_not_allowed"
    default_message = _("This method is not allowed at this address.")


class PayloadTooLarge(ZhengqiError):
    status = 413
    code = "payload_too_large"
    default_message = _("The request body is too large.")


class RateLimited(ZhengqiError):
    status = 429
    code = "rate_limited"
    default_message = _("Too many attempts; wait and try again.")


class ServiceUnavailable(ZhengqiError):
    """A backing service (by default the database) cannot be reached: the client should retry after a pause.

    The API answers 503 with Retry-After (core.api); nothing was changed."""

    status = 503
    code = "database_unavailable"
    default_message = _("The service is briefly unavailable; try again in a few seconds.")
    retry_after_s = 5


class PositionsUnavailable(ServiceUnavailable):
    """The live position store (Redis with REDIS_URL) cannot be reached: what needs positions waits for it."""

    code = "positions_unavailable"
    default_message = _("Live positions are briefly unavailable; try again in a few seconds.")


def is_database_unavailable(exc: BaseException | None) -> bool:
    """True for a lost or refused database connection (not for a bug such as an integrity error)."""
    return isinstance(exc, OperationalError | InterfaceError)
