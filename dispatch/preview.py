"""How many people an alert would ring, without raising it (the dashboard's "before you send").

A selector: the very checks and recipient selection of `alert_create` (`alert_input_checked`,
`first_recipients`), but nothing is written, published or audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from dispatch.services.alerts import Targets, alert_input_checked, first_recipients

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_NO_TARGETS = Targets()


def alert_recipients_preview(
    *,
    actor: User,
    kind: str,
    severity: str,
    title: str,
    lat: float | None = None,
    lon: float | None = None,
    datum: str | None = None,
    radius_m: int | None = None,
    needed: int = 1,
    targets: Targets = _NO_TARGETS,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """The number of recipients `alert_create` would choose now for this alert (which it may still refuse)."""
    now = now or timezone.now()
    checked = alert_input_checked(
        actor=actor, kind=kind, severity=severity, title=title, lat=lat, lon=lon, datum=datum, radius_m=radius_m,
        needed=needed, targets=targets, expires_at=expires_at, now=now,
    )  # fmt: skip
    return len(first_recipients(actor=actor, checked=checked, radius_m=radius_m, targets=targets, now=now))
