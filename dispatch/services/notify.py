"""Telling people about an alert: deliveries and durable events per recipient, board updates, audit.

Shared by every dispatch service that changes what a recipient or a dashboard should see.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict
from core.models import AuditAction
from core.services.audit import audit_record
from dispatch.events import AlertCreated, BoardUpdate, NavLinks
from dispatch.models import Alert, AlertStatus, Delivery
from dispatch.nav import amap_link, baidu_link
from dispatch.recipients import Candidate
from dispatch.selectors import response_counts
from realtime.events import announce, publish

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _nav(alert: Alert) -> NavLinks | None:
    if alert.lat is None or alert.lon is None:
        return None
    return NavLinks(
        amap=amap_link(lat=alert.lat, lon=alert.lon, name=alert.title),
        baidu=baidu_link(lat=alert.lat, lon=alert.lon, name=alert.title),
    )


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 1)


def _band(distance_m: float | None) -> float | None:
    """Distance as a phone shows it: to 100 m under 1 km, 500 m under 10 km, 1 km beyond."""
    if distance_m is None:
        return None
    step = 100.0 if distance_m < 1000 else 500.0 if distance_m < 10_000 else 1000.0
    return float(round(distance_m / step) * step)


def _compass(bearing_deg: float | None) -> float | None:
    """Bearing to the nearest of the eight compass points (0 = N, 45 = NE, ...)."""
    return None if bearing_deg is None else float(round(bearing_deg / 45.0) % 8 * 45)


def fan_out(*, alert: Alert, candidates: Sequence[Candidate], wave: int) -> int:
    """A durable alert.created event (banded distance and bearing) and a Delivery (exact ones) per recipient."""
    if not candidates:
        return 0
    nav = _nav(alert)

    def event(distance_m: float | None, bearing_deg: float | None) -> AlertCreated:
        return AlertCreated(
            alert_id=alert.pk,
            kind=alert.kind,
            severity=alert.severity,
            title=alert.title,
            description=alert.description,
            lat=alert.lat,
            lon=alert.lon,
            radius_m=alert.radius_m,
            needed=alert.needed,
            expires_at=alert.expires_at,
            distance_m=distance_m,
            bearing_deg=bearing_deg,
            wave=wave,
            nav=nav,
        )

    # One publish per (distance band, compass point), not per person: a publish is one batch
    # per payload, and 2,000 one-person publishes cost seconds. Phones show "about 1.5 km, NE"
    # and navigate with their own fix; the exact values stay on the Delivery (the board's).
    groups: dict[tuple[float | None, float | None], list[int]] = defaultdict(list)
    for c in candidates:
        groups[_band(_finite(c.distance_m)), _compass(_finite(c.bearing_deg))].append(c.person_id)
    seqs: dict[int, int] = {}
    for (distance_m, bearing_deg), person_ids in groups.items():
        seqs.update(publish(event(distance_m, bearing_deg), to=person_ids))
    Delivery.objects.bulk_create(
        [
            Delivery(
                alert=alert,
                person_id=c.person_id,
                wave=wave,
                distance_m=_finite(c.distance_m),
                bearing_deg=_finite(c.bearing_deg),
                seq=seqs.get(c.person_id),
            )
            for c in candidates
        ],
        batch_size=1000,
    )
    return len(candidates)


def recipient_ids(*, alert: Alert) -> list[int]:
    return list(Delivery.objects.filter(alert=alert).values_list("person_id", flat=True))


def audit_alert(*, actor: User | None, alert: Alert, action: str, **details: Any) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.ALERT_ACTION,
        object_type="alert",
        object_id=alert.pk,
        area_code=alert.area_id,
        details={"action": action, **details},
    )


def announce_board(*, alert: Alert, person_id: int | None = None, state: str | None = None) -> None:
    announce(
        BoardUpdate(
            alert_id=alert.pk,
            status=alert.status,
            radius_m=alert.radius_m,
            recipients=Delivery.objects.filter(alert=alert).count(),
            responses=response_counts(alert=alert),
            person_id=person_id,
            state=state,
        ),
        area_code=alert.area_id,
    )


def require_active(alert: Alert, *, now: datetime | None = None) -> None:
    if alert.status == AlertStatus.CANCELLED:
        raise Conflict(_("This alert was cancelled."), code="alert_cancelled")
    if alert.status == AlertStatus.CLOSED:
        raise Conflict(_("This alert is closed."), code="alert_closed")
    if alert.expires_at is not None and alert.expires_at <= (now or timezone.now()):
        raise Conflict(_("This alert has expired."), code="alert_expired")
