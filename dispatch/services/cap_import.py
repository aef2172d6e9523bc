"""Importing a CAP 1.2 message: a new alert, or an Update/Cancel of the alert it references.

Where a message's <area> lands:
- one circle of 0 < r <= 50 km → a radius alert (on-duty responders nearby);
- polygons, larger circles, point circles (r = 0) and 12-digit Chinese division-code
  geocodes (China's national early-warning CAP) → a filter alert to the townships
  they cover (a geocode maps by its code prefix: 410622000000 → 淇县);
- only the parts inside the importer's jurisdiction are kept; nothing left → refused
  with `cap_area_outside_jurisdiction`. Other geocodes (SAME, ...) and bare
  <areaDesc> cannot be placed and count as outside.
- an open or short polygon (fewer than 4 points, first != last), a coordinate that is not
  a finite WGS 84 value, or a negative radius → `cap_invalid` (checked by cap.parse).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from shapely.geometry import Polygon

from core.errors import Conflict, InvalidInput, NotFound
from core.jurisdiction import require
from core.models import Area, AreaLevel
from core.roles import Capability
from dispatch import cap, geography
from dispatch.models import MAX_RADIUS_M, Alert, AlertKind, CapRecord, Severity
from dispatch.selectors import alert_managed
from dispatch.services.alerts import CapIdentity, Targets, alert_cancel, alert_create, alert_update

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_OWN_IDENTIFIER = re.compile(r"^zhengqi\.alert\.(\d+)(?:\.v\d+)?$")
_DIVISION_CODE = re.compile(r"^\d{12}$")
_KIND_BY_CATEGORY = {
    "Fire": AlertKind.FIRE,
    "Transport": AlertKind.TRAFFIC_ACCIDENT,
    "Health": AlertKind.INJURED_PERSON,
    "Rescue": AlertKind.MISSING_PERSON,
    "Security": AlertKind.VIOLENT_CRIME,
    "Met": AlertKind.NATURAL_HAZARD,
    "Geo": AlertKind.NATURAL_HAZARD,
    "Env": AlertKind.NATURAL_HAZARD,
}


@dataclass
class Placement:
    lat: float | None = None
    lon: float | None = None
    radius_m: int | None = None
    area_codes: tuple[str, ...] = ()


def _division_from_geocode(value: str) -> str | None:
    """A 12-digit code's division by prefix: the finest level whose digits are not all zeros."""
    if not _DIVISION_CODE.match(value):
        return None
    if value[4:] == "00000000":
        code = value[:4] + "00"
    elif value[6:] == "000000":
        code = value[:6]
    else:
        code = value[:9]  # villages (and finer) belong to their township
    return code if Area.objects.filter(code=code).exists() else None


def _place(info: cap.CapInfo, covers: Callable[[str], bool]) -> Placement:
    circles = [c for a in info.areas for c in a.circles]
    polygons = [p for a in info.areas for p in a.polygons]
    geocodes = [value for a in info.areas for _, value in a.geocodes]
    if len(circles) == 1 and not polygons and 0 < circles[0][2] * 1000 <= MAX_RADIUS_M:
        lat, lon, radius_km = circles[0]
        located = geography.locate(lat, lon)
        if located is not None and covers(located):
            return Placement(lat=lat, lon=lon, radius_m=max(1, round(radius_km * 1000)))
        return Placement()
    codes: set[str] = set()
    for ring in polygons:  # closed rings of finite points (cap.parse checks them)
        codes.update(geography.townships_in(Polygon([(lon, lat) for lat, lon in ring])))
    for lat, lon, radius_km in circles:
        if radius_km > 0:
            codes.update(geography.townships_within(lat=lat, lon=lon, radius_m=radius_km * 1000))
        elif (located := geography.locate(lat, lon)) is not None:
            codes.add(located)
    for value in geocodes:
        if (division := _division_from_geocode(value)) is not None:
            codes.add(division)
    kept = _collapse({c for c in codes if covers(c)})
    centre = None
    if len(circles) == 1:
        centre = circles[0][:2]
    elif polygons:
        point = Polygon([(lon, lat) for lat, lon in polygons[0]]).representative_point()
        centre = (point.y, point.x)
    if centre and (located := geography.locate(*centre)) is not None and covers(located):
        return Placement(lat=centre[0], lon=centre[1], area_codes=kept)
    return Placement(area_codes=kept)


def _collapse(codes: set[str]) -> tuple[str, ...]:
    """The fewest divisions naming the same ground: a county whose every township is listed replaces them."""
    prefixes = dict(Area.objects.filter(code__in=codes).values_list("code", "prefix"))
    codes = {c for c in codes if not any(o != c and c.startswith(prefixes[o]) for o in codes)}
    for level in (AreaLevel.COUNTY, AreaLevel.CITY):
        children: dict[str, set[str]] = {}
        for code, parent in Area.objects.filter(parent__level=level).values_list("code", "parent_id"):
            children.setdefault(parent, set()).add(code)
        for parent, members in children.items():
            if members <= codes:
                codes = (codes - members) | {parent}
    return tuple(sorted(codes))


def _kind(info: cap.CapInfo) -> str:
    for category in info.categories:
        if category in _KIND_BY_CATEGORY:
            if category == "Rescue" and "flood" in info.event.lower():
                return AlertKind.FLOOD_RESCUE
            return _KIND_BY_CATEGORY[category]
    return AlertKind.OTHER


def _preferred(message: cap.CapMessage) -> cap.CapInfo:
    """The Chinese block if there is one (our users read Chinese), else the first."""
    return next((i for i in message.infos if i.language.lower().startswith("zh")), message.infos[0])


def _referenced(actor: User, message: cap.CapMessage) -> Alert:
    for reference in reversed(message.references):
        if reference.sender == settings.CAP_SENDER and (own := _OWN_IDENTIFIER.match(reference.identifier)):
            return alert_managed(actor=actor, alert_id=int(own.group(1)), for_update=True)
        record = CapRecord.objects.filter(sender=reference.sender, identifier=reference.identifier).first()
        if record is not None:
            return alert_managed(actor=actor, alert_id=record.alert_id, for_update=True)
    raise NotFound(_("The alert this message refers to is not known here."), code="cap_reference_not_found")


@dataclass(frozen=True)
class ImportResult:
    alert: Alert
    created: bool


def _refusal(message: cap.CapMessage) -> Conflict | None:
    """Why a message may not be imported here, if it names an identity this deployment already holds.

    Our own alerts are (settings.CAP_SENDER, "zhengqi.alert.<id>") and hold that identity from the
    moment they are raised. A new alert under our sender and in that scheme is therefore either one
    of ours (re-posted export) or from another system using our sender (another Zhengqi left on the
    default ZHENGQI_CAP_SENDER): importing it would take the identity of a future alert of ours.
    """
    if CapRecord.objects.filter(sender=message.sender, identifier=message.identifier).exists():
        return Conflict(_("This CAP message is already here."), code="cap_duplicate")
    if message.msg_type != "Alert":
        return None  # an Update or Cancel is recorded (CapRecord), never given an alert's identity
    if Alert.objects.filter(cap_sender=message.sender, cap_identifier=message.identifier).exists():
        return Conflict(_("This CAP message is already here."), code="cap_duplicate")
    if message.sender == settings.CAP_SENDER and (own := _OWN_IDENTIFIER.match(message.identifier)):
        if Alert.objects.filter(pk=int(own.group(1))).exists():
            return Conflict(_("This CAP message is already here."), code="cap_duplicate")
        return Conflict(
            _(
                "This message carries this deployment's own CAP sender and identifier, but no such alert "
                "is here: the system that sent it needs a CAP sender of its own."
            ),
            code="cap_sender_collision",
            details={"sender": message.sender, "identifier": message.identifier},
        )
    return None


def cap_import(*, actor: User, data: bytes) -> ImportResult:
    try:
        return _cap_import(actor=actor, data=data)
    except IntegrityError:
        # The same message imported concurrently: its twin committed after our checks ran.
        message = cap.parse(data)
        if (refusal := _refusal(message)) is None:
            raise
        raise refusal from None


@transaction.atomic
def _cap_import(*, actor: User, data: bytes) -> ImportResult:
    jurisdiction = require(actor, Capability.RAISE_ALERTS)
    message = cap.parse(data)
    if message.status != "Actual":
        raise InvalidInput(
            _("Only Actual messages ring phones."), code="cap_not_actual", details={"status": message.status}
        )
    if message.msg_type not in ("Alert", "Update", "Cancel"):
        raise InvalidInput(_("Only Alert, Update and Cancel messages can be imported."), code="cap_unsupported_type")
    if (refusal := _refusal(message)) is not None:
        raise refusal
    if message.msg_type == "Alert":
        alert = _import_alert(actor=actor, message=message, covers=jurisdiction.covers)
        created = True
    else:
        alert = _referenced(actor, message)
        if message.msg_type == "Cancel":
            alert_cancel(actor=actor, alert_id=alert.pk, reason=message.note or "CAP Cancel", alert=alert)
        else:
            _apply_update(actor=actor, alert=alert, message=message)
        created = False
    CapRecord.objects.create(
        alert=alert, sender=message.sender, identifier=message.identifier, sent=message.sent, msg_type=message.msg_type
    )
    return ImportResult(alert=alert, created=created)


def _import_alert(*, actor: User, message: cap.CapMessage, covers: Callable[[str], bool]) -> Alert:
    if not message.infos:
        raise InvalidInput(_("An Alert message needs an <info> block."), code="cap_no_info")
    info = _preferred(message)
    placement = _place(info, covers)
    if placement.radius_m is None and not placement.area_codes:
        raise NotFound(
            _("The message's area is outside your jurisdiction."),
            code="cap_area_outside_jurisdiction",
            details={"areas": [a.description for a in info.areas]},
        )
    severity = info.severity.lower() if info.severity.lower() in Severity.values else Severity.UNKNOWN
    return alert_create(
        actor=actor,
        kind=_kind(info),
        severity=severity,
        title=(info.headline or info.event)[:200],
        description=info.description,
        instruction=info.instruction,
        lat=placement.lat,
        lon=placement.lon,
        radius_m=placement.radius_m,
        # An imported warning informs; it asks nobody to come, so it never escalates.
        needed=0,
        targets=Targets(area_codes=placement.area_codes),
        expires_at=info.expires,
        cap=CapIdentity(
            sender=message.sender,
            identifier=message.identifier,
            sent=message.sent,
            languages=[i.language_block() for i in message.infos],
        ),
    )


def _apply_update(*, actor: User, alert: Alert, message: cap.CapMessage) -> None:
    """An Update changes what the alert says and when it expires; its recipients stay as they were."""
    if not message.infos:
        alert_update(actor=actor, alert_id=alert.pk, description=message.note or alert.description, alert=alert)
        return
    info = _preferred(message)
    severity = info.severity.lower() if info.severity.lower() in Severity.values else Severity.UNKNOWN
    changes: dict[str, object] = {
        "title": (info.headline or info.event)[:200] or alert.title,
        "description": info.description,
        "instruction": info.instruction,
        "severity": severity,
        "languages": [i.language_block() for i in message.infos],
    }
    if info.expires is not None and info.expires > timezone.now():
        changes["expires_at"] = info.expires
    alert_update(actor=actor, alert_id=alert.pk, alert=alert, **changes)  # type: ignore[arg-type]
