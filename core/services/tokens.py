"""Bearer tokens: issue on a correct password, look up by digest, revoke."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import password_fingerprint, token_digest
from core.errors import RateLimited, Unauthorized
from core.jurisdiction import grants_of
from core.models import ApiToken, AuditAction
from core.services.audit import audit_record

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest

TOKEN_PREFIX = "zq_"  # noqa: S105 (a marker, not a secret)
# Writing last_used_at on every request would turn every read into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=5)


def _home_area_code(user: User) -> str:
    grants = grants_of(user)
    return grants[0].area_id if grants else ""


def token_issue(*, request: HttpRequest, username: str, password: str) -> tuple[str, ApiToken]:
    """Check the password (through django-axes' lockout) and return a new raw token and its row.

    Not atomic as a whole on purpose: a failed attempt must stay recorded
    (axes' counter and the audit entry) even though the call then fails.
    """
    user = authenticate(request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise RateLimited(_("Too many failed logins for this account; try again later."), code="locked_out")
        audit_record(
            actor=None, action=AuditAction.LOGIN_FAILED, object_type="user", details={"username": username[:150]}
        )
        raise Unauthorized(_("Wrong username or password."), code="invalid_credentials")
    return _token_create(user=user, request=request)


@transaction.atomic
def _token_create(
    *, user: User, request: HttpRequest, details: dict[str, str] | None = None, expires_at: datetime | None = None
) -> tuple[str, ApiToken]:
    """A new raw token and its row (only the digest is stored), audited as a login."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        digest=token_digest(raw),
        expires_at=expires_at or timezone.now() + settings.TOKEN_TTL,
        user_agent=request.headers.get("User-Agent", "")[:200],
        password_fingerprint=password_fingerprint(user.password),
    )
    audit_record(
        actor=user,
        action=AuditAction.LOGIN,
        object_type="token",
        object_id=token.pk,
        area_code=_home_area_code(user),
        details=details,
    )
    return raw, token


SESSION_TOKENS_KEY = "zq_page_tokens"


def token_issue_for_session(*, request: HttpRequest) -> tuple[str, ApiToken]:
    """A bearer token for the signed-in browser session (the pages need one for the socket's hello).

    The session remembers which tokens it was given, so that logging out revokes them too, and a
    token never outlives its session: on a shared phone or desk, a session that simply expires
    leaves nothing behind that still opens a socket or the API.
    """
    user = request.user
    if not user.is_authenticated:
        raise Unauthorized()
    expires_at = min(timezone.now() + settings.TOKEN_TTL, request.session.get_expiry_date())
    raw, token = _token_create(user=user, request=request, details={"via": "session"}, expires_at=expires_at)
    # Only the last few are kept: a page that asks again (e.g. after a 4401) does not grow the session.
    request.session[SESSION_TOKENS_KEY] = [*request.session.get(SESSION_TOKENS_KEY, [])[-9:], token.pk]
    return raw, token


def tokens_revoke_for_session(*, request: HttpRequest) -> int:
    """Revoke every token this browser session was given (on logout)."""
    ids = request.session.get(SESSION_TOKENS_KEY, [])
    if not ids:
        return 0
    return ApiToken.objects.filter(pk__in=ids, revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_authenticate(raw: str, *, touch: bool = True) -> ApiToken | None:
    """The live token for a raw bearer value, with its user; None if unknown, expired, revoked or inactive.

    A token issued before the user's password last changed is revoked here, on its first use after the
    change (whatever changed the password: the admin, `changepassword`, a service).

    With touch=False the caller records the use itself, later and in bulk
    (`token_needs_touch`, `tokens_touch`): the sockets do, so that a hello is
    a read, not a write and a commit.
    """
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(raw)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.password_fingerprint and token.password_fingerprint != password_fingerprint(token.user.password):
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        return None
    if touch and token_needs_touch(token, now=now):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def token_needs_touch(token: ApiToken, *, now: datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION


def tokens_touch(*, token_ids: Collection[int], at: datetime) -> int:
    """Record that these tokens were used at `at`, in one statement (never moving `last_used_at` back)."""
    return (
        ApiToken.objects.filter(pk__in=list(token_ids))
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=at))
        .update(last_used_at=at)
    )


@transaction.atomic
def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(actor=token.user, action=AuditAction.LOGOUT, object_type="token", object_id=token.pk)
