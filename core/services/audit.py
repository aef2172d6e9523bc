from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User

from core.context import client_ip
from core.models import AuditAction, AuditEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


def audit_record(
    *,
    actor: User | AnonymousUser | None,
    action: AuditAction,
    object_type: str = "",
    object_id: str | int = "",
    area_code: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit entry; the client's address comes from the request context."""
    user = actor if isinstance(actor, User) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_username=user.get_username() if user is not None else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        area_code=area_code,
        ip=client_ip(),
        details=details or {},
    )
