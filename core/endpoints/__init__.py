"""core's HTTP endpoints, one router per resource, mounted by core.api."""

from __future__ import annotations

from typing import Any

from core.schemas import ErrorOut


def errors(*statuses: int) -> dict[int, Any]:
    """Declare the error responses an operation may give, so the OpenAPI schema documents each."""
    return {status: ErrorOut for status in statuses}
