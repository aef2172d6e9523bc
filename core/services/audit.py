from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User

from core.context import client_ip
from core.jurisdiction import require
from core.models import AuditAction, AuditEntry
from core.roles import Capability

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


def export_audit(
    *, actor: User, capability: Capability, object_type: str, area: str | None, details: dict[str, Any]
) -> AuditEntry:
    """An export leaves the system with people's data, so each is audited where its readers look.

    Filed under the area exported, or with none named, the widest area of the actor's jurisdiction
    for the export's capability: the actor's own staff and those above see it (an entry with no
    area would be visible to nobody).
    """
    return audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type=object_type,
        area_code=area or min(require(actor, capability).prefixes, key=len),
        details=details,
    )
