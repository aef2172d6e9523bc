"""Escalation: too few accepted in time → widen the radius (x2, up to the county), then tell the level above.

Driven entirely by stored state (`escalation_step`, `escalate_at`), so a restart
loses nothing. Each step is claimed with one conditional UPDATE; of two workers
(or a worker and a coordinator's button) that saw the same step, exactly one
gets a row count of 1 and does the work, the other does nothing.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict
from core.jurisdiction import Jurisdiction, jurisdiction_for
from core.models import AreaLevel, Person
from core.roles import Capability, Role
from dispatch import geography
from dispatch.events import AlertEscalated
from dispatch.models import MAX_RADIUS_M, Alert, AlertStatus, Delivery
from dispatch.recipients import recipients_for
from dispatch.selectors import accepted_count, alert_managed
from dispatch.services.notify import announce_board, audit_alert, fan_out, require_active
from realtime.events import publish

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Who is told when widening is exhausted: the coordinators one level above the raiser.
_NEXT_LEVEL = {
    AreaLevel.TOWNSHIP: (AreaLevel.COUNTY, Role.COUNTY_COORDINATOR, 6),
    AreaLevel.COUNTY: (AreaLevel.CITY, Role.CITY_ADMIN, 4),
    AreaLevel.CITY: (AreaLevel.CITY, Role.CITY_ADMIN, 4),
}


def escalations_due(*, now: datetime, limit: int = 100) -> list[tuple[int, int]]:
    """(alert id, step) of active alerts whose escalation time has come."""
    due = Alert.objects.filter(status=AlertStatus.ACTIVE, escalate_at__lte=now).order_by("escalate_at")
    return [(int(pk), int(step)) for pk, step in due.values_list("pk", "escalation_step")[:limit]]


def _claim(*, alert_id: int, step: int, now: datetime, due_only: bool) -> bool:
    # An expired alert is left for the expiry job; it never widens.
    claim = Alert.objects.filter(pk=alert_id, status=AlertStatus.ACTIVE, escalation_step=step).exclude(
        expires_at__lte=now
    )
    if due_only:
        claim = claim.filter(escalate_at__lte=now)
    return claim.update(escalation_step=F("escalation_step") + 1, escalate_at=None) == 1


def _jurisdiction_of(alert: Alert) -> Jurisdiction:
    """Widened waves stay inside the raiser's jurisdiction (their county if the raiser is gone)."""
    if alert.created_by is not None:
        found = jurisdiction_for(alert.created_by, Capability.RAISE_ALERTS)
        if not found.is_empty:
            return found
    return Jurisdiction.from_prefixes([alert.area_id[:6]])


@transaction.atomic
def alert_escalate(*, alert_id: int, step: int, now: datetime | None = None, actor: User | None = None) -> bool:
    """Do escalation step `step` + 1 if this caller wins it. Returns whether it did.

    The job passes `actor=None` and only claims due alerts; a coordinator's manual
    escalation claims the current step whenever the alert is active.
    """
    now = now or timezone.now()
    if not _claim(alert_id=alert_id, step=step, now=now, due_only=actor is None):
        return False
    alert = Alert.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=alert_id)
    accepted = accepted_count(alert=alert)
    if accepted >= alert.needed and actor is None:
        audit_alert(actor=None, alert=alert, action="escalation_not_needed", step=alert.escalation_step)
        return True
    reach = min(
        float(MAX_RADIUS_M),
        geography.county_reach_m(area_code=alert.area_id, lat=alert.lat or 0.0, lon=alert.lon or 0.0),
    )
    if alert.radius_m is not None and alert.radius_m < reach:
        _widen(alert=alert, reach=reach, now=now, actor=actor)
    else:
        _notify_next_level(alert=alert, accepted=accepted, actor=actor)
    announce_board(alert=alert)
    return True


def _widen(*, alert: Alert, reach: float, now: datetime, actor: User | None) -> None:
    assert alert.radius_m is not None
    radius = min(alert.radius_m * 2, math.ceil(reach), MAX_RADIUS_M)
    already = list(Delivery.objects.filter(alert=alert).values_list("person_id", flat=True))
    raiser = (
        Person.objects.filter(user_id=alert.created_by_id).values_list("pk", flat=True).first()
        if alert.created_by_id is not None
        else None
    )
    found = recipients_for(
        jurisdiction=_jurisdiction_of(alert),
        lat=alert.lat,
        lon=alert.lon,
        radius_m=radius,
        area_codes=alert.target_area_codes,
        team_ids=alert.target_team_ids,
        sectors=alert.target_sectors,
        roles=alert.target_roles,
        exclude_person_ids=[*already, *([raiser] if raiser else [])],
        now=now,
        on_shift=alert.target_on_shift,
    )
    previous = alert.radius_m
    alert.radius_m = radius
    alert.escalate_at = now + timedelta(seconds=settings.ESCALATION_DELAY_S)
    alert.save(update_fields=["radius_m", "escalate_at", "updated_at"])
    added = fan_out(alert=alert, candidates=found, wave=alert.escalation_step)
    audit_alert(
        actor=actor,
        alert=alert,
        action="escalate_widen",
        step=alert.escalation_step,
        radius_m=[previous, radius],
        added=added,
    )


def _notify_next_level(*, alert: Alert, accepted: int, actor: User | None) -> None:
    if alert.escalated_to_level and actor is not None:
        raise Conflict(_("This alert has already been escalated as far as it goes."), code="escalation_exhausted")
    level, role, length = _NEXT_LEVEL[AreaLevel(alert.raised_level)]
    area_code = alert.area_id[:length] + "0" * (6 - length) if length < 6 else alert.area_id[:6]
    coordinators = list(
        Person.objects.filter(user__role_grants__role=role, user__role_grants__area_id=area_code, is_active=True)
        .values_list("pk", flat=True)
        .distinct()
    )
    alert.escalated_to_level = level
    alert.save(update_fields=["escalated_to_level", "updated_at"])
    publish(
        AlertEscalated(
            alert_id=alert.pk,
            title=alert.title,
            area_code=alert.area_id,
            accepted=accepted,
            needed=alert.needed,
            radius_m=alert.radius_m,
            at=alert.updated_at,
        ),
        to=coordinators,
    )
    audit_alert(
        actor=actor,
        alert=alert,
        action="escalate_notify",
        step=alert.escalation_step,
        level=level,
        notified=coordinators,
    )


def alert_escalate_now(*, actor: User, alert_id: int) -> Alert:
    """A coordinator's 'escalate now': the next step at once, through the same claim as the job."""
    alert = alert_managed(actor=actor, alert_id=alert_id)
    require_active(alert)
    if not alert_escalate(alert_id=alert.pk, step=alert.escalation_step, actor=actor):
        raise Conflict(_("Someone else escalated this alert just now."), code="escalation_in_progress")
    alert.refresh_from_db()
    return alert
