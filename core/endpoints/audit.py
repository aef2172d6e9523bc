from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from core.auth import actor_of
from core.endpoints import errors
from core.pagination import paginate
from core.schemas import AuditFilter, AuditOut, Page
from core.selectors import audit_list

router = Router(tags=["audit"])


@router.get("", response={200: Page[AuditOut], **errors(401, 403, 422)})
def entries(request: HttpRequest, filters: Query[AuditFilter]) -> dict[str, Any]:
    items, count = paginate(
        audit_list(actor=actor_of(request), action=filters.action, since=filters.since, until=filters.until), filters
    )
    return {"items": [AuditOut.build(e) for e in items], "count": count}
