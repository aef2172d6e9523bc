"""How API callers prove who they are: a bearer token, or a browser session (with CSRF)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer, django_auth

from core.errors import RateLimited, Unauthorized
from core.services.tokens import token_authenticate


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_authenticate(token)
        if found is None:
            return None
        request.user = found.user
        request.zq_token = found  # type: ignore[attr-defined]
        return found.user


API_AUTH = [BearerAuth(), django_auth]


def actor_of(request: HttpRequest) -> User:
    """The authenticated user behind an API call (the API's auth already ran)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise Unauthorized()
    return user


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: Any) -> HttpResponse:
    """django-axes' answer once a login is locked out: the API's own JSON error for API calls."""
    if request.path.startswith("/api/") and original_response is not None:
        return original_response  # already the contract's {"code": "locked_out", ...} 429
    error = RateLimited(_("Too many failed logins for this account; try again later."), code="locked_out")
    return HttpResponse(json.dumps(error.as_dict(), ensure_ascii=False), status=429, content_type="application/json")
