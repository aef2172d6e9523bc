from __future__ import annotations

import hashlib
import logging
import os
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.core.cache import cache

from core.context import client_ip
from core.jurisdiction import require
from core.models import AuditAction, AuditEntry
from core.roles import Capability

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

logger = logging.getLogger(__name__)


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
    *, actor: User, capability: Capability, object_type: str, area: str | None, fmt: str, details: dict[str, Any]
) -> AuditEntry:
    """An export leaves the system with people's data, so each is audited where its readers look.

    The entry says which file left (`format`: csv, xlsx...) besides what the export's own `details` say.

    Filed under the area exported, or with none named, the widest area of the actor's jurisdiction
    for the export's capability: the actor's own staff and those above see it (an entry with no
    area would be visible to nobody).
    """
    return audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type=object_type,
        area_code=area or min(require(actor, capability).prefixes, key=len),
        details={**details, "format": fmt},
    )


def personal_data_read(
    *, actor: User, object_type: str, people: dict[int, str], fields: list[str], once_per_s: int = 0
) -> None:
    """Audit a read that revealed personal data of `people` ({person id: home area code}).

    Filed under the narrowest area covering them all, so their staff see it. With `once_per_s`, the
    same viewer reading the same people again within that many seconds makes no new entry (a live
    map re-reads every few seconds); other people, or the time passing, make a new one. If the
    throttle cannot be asked (the cache is down), the read is audited anyway.
    """
    if not people:
        return
    ids = sorted(people)
    if once_per_s:
        digest = hashlib.blake2b(",".join(map(str, ids)).encode(), digest_size=8).hexdigest()
        try:
            if not cache.add(f"audit:{object_type}:{actor.pk}:{digest}", 1, timeout=once_per_s):
                return
        except Exception:
            # An unreachable cache must never skip an audit entry: audit this read.
            logger.warning("audit throttle unavailable; auditing this read", exc_info=True)
    audit_record(
        actor=actor,
        action=AuditAction.PERSONAL_DATA_READ,
        object_type=object_type,
        area_code=os.path.commonprefix([people[i] for i in ids]),  # noqa: RUF071 (digit strings: char-wise is right)
        details={"fields": fields, "person_ids": ids},
    )
