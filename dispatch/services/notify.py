"""Telling people about an alert: deliveries and durable events per recipient, board updates, audit.

Shared by every dispatch service that changes what a recipient or a dashboard should see.
"""

from __future__ import annotations

import math
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


def fan_out(*, alert: Alert, candidates: Sequence[Candidate], wave: int) -> int:
    """A Delivery and a durable alert.created event per recipient (their own distance and bearing)."""
    if not candidates:
        return 0
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(
                alert=alert,
                person_id=c.person_id,
                wave=wave,
                distance_m=_finite(c.distance_m),
                bearing_deg=_finite(c.bearing_deg),
            )
            for c in candidates
        ]
    )
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

    seqs: dict[int, int] = {}
    unplaced = [d.person_id for d in deliveries if d.distance_m is None]
    if unplaced:
        seqs.update(publish(event(None, None), to=unplaced))
    for delivery in deliveries:
        if delivery.distance_m is not None:
            seqs.update(publish(event(delivery.distance_m, delivery.bearing_deg), to=[delivery.person_id]))
    for delivery in deliveries:
        delivery.seq = seqs.get(delivery.person_id)
    Delivery.objects.bulk_update(deliveries, ["seq"], batch_size=500)
    return len(deliveries)


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
