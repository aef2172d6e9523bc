"""How many people an alert would ring, without raising it (the dashboard's "before you send").

A selector: the same checks as `alert_create` (same codes, same jurisdiction rules) and the
same recipient selection (`recipients_for`), but nothing is written, published or audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import Forbidden, InvalidInput
from core.geo import checked_wgs84
from core.jurisdiction import require
from core.models import Person
from core.roles import Capability
from dispatch import geography
from dispatch.models import AlertKind, Severity
from dispatch.recipients import recipients_for
from dispatch.services.alerts import MAX_NEEDED, Targets, _check_targets, check_radius

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
    # Keep these checks in the order and with the codes of alert_create (tests/dispatch/test_preview.py compares them).
    now = now or timezone.now()
    jurisdiction = require(actor, Capability.RAISE_ALERTS)
    if kind not in AlertKind.values:
        raise InvalidInput(_("Unknown alert kind."), code="unknown_kind", details={"kind": kind})
    if severity not in Severity.values:
        raise InvalidInput(_("Unknown severity."), code="unknown_severity", details={"severity": severity})
    if not title.strip():
        raise InvalidInput(_("An alert needs a title."), code="missing_title")
    if (lat is None) != (lon is None):
        raise InvalidInput(_("Give both latitude and longitude, or neither."), code="incomplete_location")
    point = checked_wgs84(lat, lon, datum) if lat is not None and lon is not None else None
    check_radius(radius_m)
    if radius_m is not None and point is None:
        raise InvalidInput(_("A radius alert needs a location."), code="radius_needs_location")
    if not (0 <= needed <= MAX_NEEDED):
        raise InvalidInput(_("Needed responders must be between 0 and 1000."), code="invalid_needed")
    if radius_m is None and not targets:
        raise InvalidInput(_("Give a radius or at least one target filter."), code="no_target")
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(_("The expiry must be in the future."), code="invalid_expiry")
    _check_targets(jurisdiction, targets)
    if point is not None:
        area_code = geography.locate(point.lat, point.lon)
        if area_code is None:
            raise InvalidInput(
                _("That location is outside every division this service covers."), code="location_outside_service_area"
            )
        if not jurisdiction.covers(area_code):
            raise Forbidden(_("That location is outside your jurisdiction."), code="location_outside_jurisdiction")
    me = Person.objects.filter(user_id=actor.pk).values_list("pk", flat=True).first()
    found = recipients_for(
        jurisdiction=jurisdiction,
        lat=point.lat if point else None,
        lon=point.lon if point else None,
        radius_m=radius_m,
        area_codes=targets.area_codes,
        team_ids=targets.team_ids,
        sectors=targets.sectors,
        roles=targets.roles,
        exclude_person_ids=[me] if me else [],
        now=now,
    )
    return len(found)
