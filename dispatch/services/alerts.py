"""Raising, changing, cancelling and closing alerts; fanning an alert out to its recipients.

Every check runs before the first write, and each service is one transaction:
bad input never leaves half an alert behind. Events are stored with the alert
(durable streams) and pushed after commit by realtime.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput, NotFound
from core.geo import LatLon, checked_wgs84
from core.jurisdiction import Jurisdiction, grants_of, require
from core.models import Area, Person, Team
from core.partial import UNSET
from core.roles import CAPABILITIES, Capability, Role
from dispatch import geography
from dispatch.events import AlertCancelled, AlertClosed, AlertUpdated
from dispatch.models import MAX_RADIUS_M, Alert, AlertKind, AlertSource, AlertStatus, Severity
from dispatch.recipients import Candidate, check_sectors, recipients_for
from dispatch.selectors import alert_for_request, alert_managed
from dispatch.services.notify import announce_board, audit_alert, fan_out, recipient_ids, require_active
from realtime.events import publish

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_NEEDED = 1000
MAX_TARGETS = 200


@dataclass(frozen=True)
class Targets:
    area_codes: tuple[str, ...] = ()
    team_ids: tuple[int, ...] = ()
    sectors: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    on_shift: bool = False  # only liaisons on shift now

    def __bool__(self) -> bool:
        return bool(self.area_codes or self.team_ids or self.sectors or self.roles or self.on_shift)


def _check_targets(jurisdiction: Jurisdiction, targets: Targets) -> list[Team]:
    if sum(map(len, (targets.area_codes, targets.team_ids, targets.sectors, targets.roles))) > MAX_TARGETS:
        raise InvalidInput(_("Too many target filters."), code="too_many_targets")
    known = set(Area.objects.filter(code__in=targets.area_codes).values_list("code", flat=True))
    for code in targets.area_codes:
        if code not in known:
            raise InvalidInput(_("Unknown division code."), code="unknown_area", details={"area_code": code})
        if not jurisdiction.covers(code):  # outside the caller's jurisdiction is 404 (the contract)
            raise NotFound(
                _("That area is outside your jurisdiction."),
                code="area_outside_jurisdiction",
                details={"area_code": code},
            )
    teams = list(Team.objects.filter(pk__in=targets.team_ids).filter(jurisdiction.q("area__code")))
    missing = sorted(set(targets.team_ids) - {t.pk for t in teams})
    if missing:
        # A team outside the jurisdiction looks exactly like one that does not exist.
        raise NotFound(_("Unknown team."), code="unknown_team", details={"team_ids": missing})
    unknown_roles = sorted(set(targets.roles) - set(Role.values))
    if unknown_roles:
        raise InvalidInput(_("Unknown role."), code="unknown_role", details={"roles": unknown_roles})
    check_sectors(targets.sectors)
    return teams


def _alert_area(jurisdiction: Jurisdiction, targets: Targets, teams: list[Team], actor: User) -> str:
    """Where a filter alert without a point belongs: the narrowest area holding all its targets."""
    codes = [*targets.area_codes, *(t.area_id for t in teams)]
    if codes:
        common = os.path.commonprefix(codes)  # noqa: RUF071 (division codes: char-wise is right)
        for length in (12, 9, 6, 4):
            if len(common) >= length:
                candidate = Area.objects.filter(prefix=common[:length]).values_list("code", flat=True).first()
                if candidate and jurisdiction.covers(candidate):
                    return candidate
        return codes[0]
    return _broadest_grant(actor).area_id


def _broadest_grant(actor: User) -> Any:
    grants = [g for g in grants_of(actor) if Capability.RAISE_ALERTS in CAPABILITIES.get(g.role, frozenset())]
    return min(grants, key=lambda g: (len(g.area.prefix), g.area_id))


def _raised_level(actor: User, area_code: str) -> str:
    """The level of the broadest grant covering the alert: escalation notifies the level above it."""
    grants = [
        g
        for g in grants_of(actor)
        if Capability.RAISE_ALERTS in CAPABILITIES.get(g.role, frozenset()) and area_code.startswith(g.area.prefix)
    ]
    return min(grants, key=lambda g: len(g.area.prefix)).area.level if grants else _broadest_grant(actor).area.level


def check_radius(radius_m: int | None) -> None:
    if radius_m is not None and not (1 <= radius_m <= MAX_RADIUS_M):
        raise InvalidInput(
            _("The radius must be between 1 m and 50 km."), code="invalid_radius", details={"radius_m": radius_m}
        )


@dataclass(frozen=True)
class CapIdentity:
    sender: str
    identifier: str
    sent: datetime | None
    languages: list[dict[str, str]]


@dataclass(frozen=True)
class CheckedAlert:
    """What the checks of a new alert found: whose jurisdiction, where, which teams."""

    jurisdiction: Jurisdiction
    point: LatLon | None
    teams: list[Team]
    located_area: str | None  # the division the point lies in (None without a point)


def alert_input_checked(
    *,
    actor: User,
    kind: str,
    severity: str,
    title: str,
    lat: float | None,
    lon: float | None,
    datum: str | None,
    radius_m: int | None,
    needed: int,
    targets: Targets,
    expires_at: datetime | None,
    now: datetime,
    past_expiry_allowed: bool = False,
) -> CheckedAlert:
    """Every check a new alert passes before anything is written (alert_create and the preview share it)."""
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
    if expires_at is not None and expires_at <= now and not past_expiry_allowed:
        raise InvalidInput(_("The expiry must be in the future."), code="invalid_expiry")
    teams = _check_targets(jurisdiction, targets)
    located = None
    if point is not None:
        located = geography.locate(point.lat, point.lon)
        if located is None:
            raise InvalidInput(
                _("That location is outside every division this service covers."), code="location_outside_service_area"
            )
        if not jurisdiction.covers(located):
            raise NotFound(_("That location is outside your jurisdiction."), code="location_outside_jurisdiction")
    return CheckedAlert(jurisdiction=jurisdiction, point=point, teams=teams, located_area=located)


def first_recipients(
    *, actor: User, checked: CheckedAlert, radius_m: int | None, targets: Targets, now: datetime
) -> list[Candidate]:
    """The people a new alert rings at once (its raiser excepted)."""
    me = Person.objects.filter(user_id=actor.pk).values_list("pk", flat=True).first()
    return recipients_for(
        jurisdiction=checked.jurisdiction,
        lat=checked.point.lat if checked.point else None,
        lon=checked.point.lon if checked.point else None,
        radius_m=radius_m,
        area_codes=targets.area_codes,
        team_ids=targets.team_ids,
        sectors=targets.sectors,
        roles=targets.roles,
        exclude_person_ids=[me] if me else [],
        now=now,
        on_shift=targets.on_shift,
    )


@transaction.atomic
def alert_create(
    *,
    actor: User,
    kind: str,
    severity: str,
    title: str,
    description: str = "",
    instruction: str = "",
    lat: float | None = None,
    lon: float | None = None,
    datum: str | None = None,
    radius_m: int | None = None,
    needed: int = 1,
    targets: Targets = Targets(),
    expires_at: datetime | None = None,
    cap: CapIdentity | None = None,
    request_key: str = "",
    now: datetime | None = None,
) -> Alert:
    """Raise an alert and deliver it. Radius alerts reach on-duty people nearby; filter alerts everyone matching.

    With a `request_key` (the client's Idempotency-Key) the actor already raised an alert with, that
    alert is returned as it is: nothing is checked, written or sent again (`alert_for_request`).
    """
    now = now or timezone.now()
    if request_key and (earlier := alert_for_request(actor=actor, request_key=request_key)) is not None:
        return earlier
    checked = alert_input_checked(
        actor=actor, kind=kind, severity=severity, title=title, lat=lat, lon=lon, datum=datum, radius_m=radius_m,
        needed=needed, targets=targets, expires_at=expires_at, now=now, past_expiry_allowed=cap is not None,
    )  # fmt: skip
    jurisdiction, point = checked.jurisdiction, checked.point
    area_code = checked.located_area or _alert_area(jurisdiction, targets, checked.teams, actor)

    expired = expires_at is not None and expires_at <= now
    alert = Alert.objects.create(
        kind=kind,
        severity=severity,
        title=title.strip(),
        description=description,
        instruction=instruction,
        lat=point.lat if point else None,
        lon=point.lon if point else None,
        radius_m=radius_m,
        initial_radius_m=radius_m,
        needed=needed,
        area_id=area_code,
        raised_level=_raised_level(actor, area_code),
        target_area_codes=list(targets.area_codes),
        target_team_ids=list(targets.team_ids),
        target_sectors=list(targets.sectors),
        target_roles=list(targets.roles),
        target_on_shift=targets.on_shift,
        # An imported message that has already expired is kept for the record, closed, and rings nobody.
        status=AlertStatus.CLOSED if expired else AlertStatus.ACTIVE,
        closed_at=now if expired else None,
        expires_at=expires_at or now + timedelta(minutes=settings.ALERT_DEFAULT_TTL_MINUTES),
        created_by=actor,
        escalate_at=now + timedelta(seconds=settings.ESCALATION_DELAY_S) if needed and not expired else None,
        source=AlertSource.CAP if cap else AlertSource.API,
        cap_sender=cap.sender if cap else settings.CAP_SENDER,
        cap_identifier=cap.identifier if cap else "",
        cap_sent=cap.sent if cap else now,
        languages=cap.languages if cap else [],
        request_key=request_key,
    )
    if cap is None:
        identifier = f"zhengqi.alert.{alert.pk}"
        # Imports can no longer take one of our identities (cap_import refuses them), but one imported
        # before that rule may hold this one: the alert then goes without a stored identity rather than
        # failing (and failing again on SQLite, which would reuse the rolled-back id). Exports name our
        # alerts by their id either way.
        if not Alert.objects.filter(cap_sender=settings.CAP_SENDER, cap_identifier=identifier).exists():
            alert.cap_identifier = identifier
            alert.save(update_fields=["cap_identifier"])
    recipients = 0
    if not expired:
        found = first_recipients(actor=actor, checked=checked, radius_m=radius_m, targets=targets, now=now)
        recipients = fan_out(alert=alert, candidates=found, wave=0)
    audit_alert(actor=actor, alert=alert, action="create", recipients=recipients, source=alert.source)
    announce_board(alert=alert, recipients=recipients)
    return alert


@transaction.atomic
def alert_update(
    *,
    actor: User,
    alert_id: int,
    title: str = UNSET,
    description: str = UNSET,
    instruction: str = UNSET,
    severity: str = UNSET,
    needed: int = UNSET,
    expires_at: datetime | None = UNSET,
    languages: list[dict[str, str]] = UNSET,
    alert: Alert | None = None,
) -> Alert:
    """Change what an active alert says; every recipient gets the new version."""
    alert = alert or alert_managed(actor=actor, alert_id=alert_id, for_update=True)
    require_active(alert)
    changed: list[str] = []
    if title is not UNSET:
        if not title.strip():
            raise InvalidInput(_("An alert needs a title."), code="missing_title")
        alert.title = title.strip()
        changed.append("title")
    if severity is not UNSET:
        if severity not in Severity.values:
            raise InvalidInput(_("Unknown severity."), code="unknown_severity", details={"severity": severity})
        alert.severity = severity
        changed.append("severity")
    if needed is not UNSET:
        if not (0 <= needed <= MAX_NEEDED):
            raise InvalidInput(_("Needed responders must be between 0 and 1000."), code="invalid_needed")
        alert.needed = needed
        changed.append("needed")
    if expires_at is not UNSET:
        if expires_at is not None and expires_at <= timezone.now():
            raise InvalidInput(_("The expiry must be in the future."), code="invalid_expiry")
        alert.expires_at = expires_at
        changed.append("expires_at")
    for name, value in (("description", description), ("instruction", instruction), ("languages", languages)):
        if value is not UNSET:
            setattr(alert, name, value)
            changed.append(name)
    if not changed:
        raise InvalidInput(_("Nothing to change."), code="no_changes")
    alert.version += 1
    alert.save()
    publish(
        AlertUpdated(
            alert_id=alert.pk,
            version=alert.version,
            title=alert.title,
            description=alert.description,
            severity=alert.severity,
            needed=alert.needed,
            expires_at=alert.expires_at,
        ),
        to=recipient_ids(alert=alert),
    )
    audit_alert(actor=actor, alert=alert, action="update", fields=changed)
    announce_board(alert=alert)
    return alert


@transaction.atomic
def alert_cancel(*, actor: User, alert_id: int, reason: str = "", alert: Alert | None = None) -> Alert:
    alert = alert or alert_managed(actor=actor, alert_id=alert_id, for_update=True)
    require_active(alert)
    alert.status = AlertStatus.CANCELLED
    alert.cancelled_at = timezone.now()
    alert.escalate_at = None
    alert.version += 1
    alert.save()
    publish(AlertCancelled(alert_id=alert.pk, reason=reason), to=recipient_ids(alert=alert))
    audit_alert(actor=actor, alert=alert, action="cancel", reason=reason)
    announce_board(alert=alert)
    return alert


@transaction.atomic
def alert_close(*, actor: User, alert_id: int) -> Alert:
    """The incident is over: responders are released and the alert leaves the active board."""
    alert = alert_managed(actor=actor, alert_id=alert_id, for_update=True)
    if alert.status != AlertStatus.ACTIVE:
        require_active(alert)
    alert.status = AlertStatus.CLOSED
    alert.closed_at = timezone.now()
    alert.escalate_at = None
    alert.save()
    publish(AlertClosed(alert_id=alert.pk), to=recipient_ids(alert=alert))
    audit_alert(actor=actor, alert=alert, action="close")
    announce_board(alert=alert)
    return alert


def alerts_expiring(*, now: datetime, limit: int = 100) -> list[int]:
    due = Alert.objects.filter(status=AlertStatus.ACTIVE, expires_at__lte=now).order_by("expires_at")
    return list(due.values_list("pk", flat=True)[:limit])


@transaction.atomic
def alert_expire(*, alert_id: int, now: datetime) -> bool:
    """Close an alert whose expiry has passed; claimed like escalation, so two workers never both do it."""
    claimed = Alert.objects.filter(pk=alert_id, status=AlertStatus.ACTIVE, expires_at__lte=now).update(
        status=AlertStatus.CLOSED, closed_at=now, escalate_at=None
    )
    if not claimed:
        return False
    alert = Alert.objects.get(pk=alert_id)
    publish(AlertClosed(alert_id=alert.pk), to=recipient_ids(alert=alert))
    audit_alert(actor=None, alert=alert, action="expire")
    announce_board(alert=alert)
    return True
