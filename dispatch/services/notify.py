"""Telling people about an alert: deliveries and durable events per recipient, board updates, audit.

Shared by every dispatch service that changes what a recipient or a dashboard should see.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict
from core.jurisdiction import enclosing_codes, shared_prefix
from core.models import AuditAction, Person
from core.services.audit import audit_record
from core.sql import int_array, number_array
from dispatch.events import AlertCreated, BoardUpdate, NavLinks
from dispatch.models import Alert, AlertStatus, Delivery
from dispatch.nav import amap_link, baidu_link
from dispatch.recipients import Candidate
from dispatch.selectors import recipients_and_read, response_counts
from realtime.events import announce, publish_many

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
    """A Delivery and a durable alert.created event per recipient, each with their own distance and bearing.

    One `publish_many` for everyone: the alert is shared, distance and bearing are each
    person's own; one stream append and one live message whatever the audience.
    """
    if not candidates:
        return 0
    event = AlertCreated(
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
        distance_m=None,
        bearing_deg=None,
        wave=wave,
        nav=_nav(alert),
    )
    placed = [(c, _finite(c.distance_m), _finite(c.bearing_deg)) for c in candidates]
    seqs = publish_many(event, to={c.person_id: {"distance_m": d, "bearing_deg": b} for c, d, b in placed})
    _deliveries_create(alert=alert, wave=wave, rows=[(c.person_id, d, b, seqs[c.person_id]) for c, d, b in placed])
    return len(candidates)


def _deliveries_create(*, alert: Alert, wave: int, rows: list[tuple[int, float | None, float | None, int]]) -> None:
    """Delivery rows (person id, distance, bearing, seq), in one statement.

    Not `bulk_create`, which spends ~20 ms of Python per 1,000 rows building and adapting
    models, more than the insert itself: PostgreSQL gets each column as one array literal
    (core.sql), SQLite one JSON document that it takes apart.
    """
    table = Delivery._meta.db_table
    columns = "(alert_id, person_id, wave, distance_m, bearing_deg, seq, created_at)"
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    if connection.vendor == "postgresql":
        people, distances, bearings, seqs = zip(*rows, strict=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} {columns} SELECT %s, u.p, %s, u.d, u.b, u.s, %s "  # noqa: S608 (no user input)
                "FROM unnest(%s::bigint[], %s::float8[], %s::float8[], %s::bigint[]) AS u(p, d, b, s)",
                [
                    alert.pk,
                    wave,
                    now,
                    int_array(people),
                    number_array(distances),
                    number_array(bearings),
                    int_array(seqs),
                ],
            )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} {columns} SELECT %s, json_extract(value, '$[0]'), %s, "  # noqa: S608 (no user input)
            "json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), %s "
            "FROM json_each(%s)",
            [alert.pk, wave, now, json.dumps(rows)],
        )


def recipient_ids(*, alert: Alert) -> list[int]:
    return list(Delivery.objects.filter(alert=alert).values_list("person_id", flat=True))


def audit_alert(*, actor: User | None, alert: Alert, action: str, area_code: str = "", **details: Any) -> None:
    """An alert action in the audit trail, filed under `area_code` (by default the alert's area).

    A recipient's own action (a response) is filed under their home area instead: an alert can
    reach several counties, and each county's audit shows its own people and events, never
    another county's members (whose login name is often their phone number).
    """
    audit_record(
        actor=actor,
        action=AuditAction.ALERT_ACTION,
        object_type="alert",
        object_id=alert.pk,
        area_code=area_code or alert.area_id,
        details={"action": action, **details},
    )


def announce_board(
    *, alert: Alert, person: Person | None = None, state: str | None = None, recipients: int | None = None
) -> None:
    """The alert's counts to the dashboards covering it (`recipients` when the caller just raised the
    alert and counted them: nobody has read it yet).

    Counts are the alert's progress, for every dashboard covering the alert. Who answered
    (`person`, `state`) goes only to dashboards that also cover that person's home area: an
    alert raised in one county can reach people of another, whom that county's staff never see.
    """
    read = 0
    if recipients is None:
        recipients, read = recipients_and_read(alert=alert)
    counts = BoardUpdate(
        alert_id=alert.pk,
        status=alert.status,
        radius_m=alert.radius_m,
        recipients=recipients,
        read=read,
        responses=response_counts(alert=alert),
    )
    if person is None:
        announce(counts, area_code=alert.area_id)
        return
    named = counts.model_copy(update={"person_id": person.pk, "state": state})
    if alert.area_id in enclosing_codes(person.home_area_id):
        # An alert raised for a whole area above the responder's (the city's, the county's): the dashboards
        # of their own township and county watch it too (dispatch.selectors._from_above), and may name them.
        announce(counts, area_code=alert.area_id)
        announce(named, area_code=person.home_area_id)
        return
    if person.home_area_id.startswith(alert.area_id):
        # Whoever covers the alert's area covers everyone homed inside it.
        announce(named, area_code=alert.area_id)
        return
    announce(counts, area_code=alert.area_id)
    both = shared_prefix(alert.area_id, person.home_area_id)
    if both:
        # Announced last: where both reach one dashboard within a tick, this one is kept (same coalescing key).
        announce(named, area_code=both)


def require_active(alert: Alert, *, now: datetime | None = None) -> None:
    if alert.status == AlertStatus.CANCELLED:
        raise Conflict(_("This alert was cancelled."), code="alert_cancelled")
    if alert.status == AlertStatus.CLOSED:
        raise Conflict(_("This alert is closed."), code="alert_closed")
    if alert.expires_at is not None and alert.expires_at <= (now or timezone.now()):
        raise Conflict(_("This alert has expired."), code="alert_expired")
