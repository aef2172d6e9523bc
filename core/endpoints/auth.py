from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Status
from ninja.security import django_auth

from core.endpoints import errors
from core.errors import InvalidInput
from core.schemas import TokenIn, TokenOut
from core.services.tokens import token_issue, token_issue_for_session, token_revoke

router = Router(tags=["auth"])


@router.post("/auth/token", auth=None, response={200: TokenOut, **errors(401, 422, 429)})
def token_create(request: HttpRequest, payload: TokenIn) -> TokenOut:
    raw, token = token_issue(request=request, username=payload.username, password=payload.password)
    return TokenOut(token=raw, expires_at=token.expires_at)


@router.delete("/auth/token", response={204: None, **errors(401, 422)})
def token_delete(request: HttpRequest) -> Status[None]:
    token = getattr(request, "zq_token", None)
    if token is None:
        raise InvalidInput(_("Only a bearer token can be revoked here."), code="not_a_token_session")
    token_revoke(token=token)
    return Status(204, None)


@router.post("/auth/session-token", auth=django_auth, response={200: TokenOut, **errors(401, 403)})
def session_token_create(request: HttpRequest) -> TokenOut:
    """A bearer token for a signed-in browser page (its socket's hello needs one); CSRF-checked."""
    raw, token = token_issue_for_session(request=request)
    return TokenOut(token=raw, expires_at=token.expires_at)
