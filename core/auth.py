"""How API callers prove who they are: a bearer token, or a browser session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from core.errors import Unauthorized
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
