"""Who an alert goes to (selectors): the nearest on-duty responders, or everyone matching a filter.

Radius alerts: the position store's fast pre-filter (Redis GEOSEARCH or the
in-process grid), a cheap flat-earth cut, then the exact WGS-84 geodesic for
the survivors, nearest first; then the database keeps only active members
who are on duty, inside the raiser's jurisdiction and matching any filters.

Recipients are always inside the raiser's jurisdiction: a 淇县 coordinator's
alert near the county line does not ring 浚县 phones; escalation tells the
city's coordinator, who may raise it across the line.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.demo import SECTORS
from core.errors import InvalidInput
from core.geo import LatLon, distances_bearings
from core.jurisdiction import Jurisdiction
from core.models import Person
from core.positions import FRESH_FOR, Fix, positions

# The flat-earth distance errs by far less than this at alert radii; only
# candidates it puts clearly outside skip the exact geodesic.
_FLAT_MARGIN = 1.01
_M_PER_DEG = 111_195.0
# How far around a located filter alert recipients are told their distance.
_LOCATED_FILTER_M = 50_000.0


@dataclass(frozen=True)
class Candidate:
    person_id: int
    distance_m: float
    bearing_deg: float  # from the responder towards the alert


def nearest(
    *, lat: float, lon: float, radius_m: float, fixes: Sequence[Fix] | None = None, now: datetime | None = None
) -> list[Candidate]:
    """Fresh fixes within radius_m of the point, nearest first, with exact geodesic distance and bearing."""
    if fixes is None:
        fixes = positions().near(lat=lat, lon=lon, radius_m=radius_m, fresh_after=(now or timezone.now()) - FRESH_FOR)
    centre = LatLon(lat, lon)
    cos_lat = math.cos(math.radians(lat))
    limit = radius_m * _FLAT_MARGIN
    close = [f for f in fixes if _M_PER_DEG * math.hypot(f.lat - lat, (f.lon - lon) * cos_lat) <= limit]
    exact = distances_bearings(centre, [LatLon(f.lat, f.lon) for f in close])
    found = [
        Candidate(fix.person_id, distance, bearing)
        for fix, (distance, bearing) in zip(close, exact, strict=True)
        if distance <= radius_m
    ]
    found.sort(key=lambda c: (c.distance_m, c.person_id))
    return found


# --- sectors: a hook for the liaisons app --------------------------------------------
# Sectors belong to liaisons. When it provides `liaisons.selectors.people_in_sectors(*, sectors)`
# (a QuerySet of Person), sector targeting uses it; until then sector alerts are refused
# with a specific code rather than silently reaching nobody.
# Until liaisons owns a Sector model, the codes are the ones core's demo population uses.
SECTOR_CODES = SECTORS
SectorSelector = Callable[..., QuerySet[Person]]


def sector_selector() -> SectorSelector | None:
    try:
        selectors = importlib.import_module("liaisons.selectors")
    except ImportError:
        return None
    found: Any = getattr(selectors, "people_in_sectors", None)
    return found if callable(found) else None


def check_sectors(sectors: Sequence[str]) -> None:
    unknown = sorted(set(sectors) - set(SECTOR_CODES))
    if unknown:
        raise InvalidInput(_("Unknown sector."), code="unknown_sector", details={"sectors": unknown})
    if sectors and sector_selector() is None:
        raise InvalidInput(
            _("Sector targeting is not available yet."),
            code="sector_targeting_unavailable",
            details={"sectors": list(sectors)},
        )


# --- the database side -------------------------------------------------------------------
def _eligible(
    *,
    jurisdiction: Jurisdiction,
    area_codes: Sequence[str],
    team_ids: Sequence[int],
    sectors: Sequence[str],
    roles: Sequence[str],
    exclude_person_ids: Sequence[int],
) -> QuerySet[Person]:
    people = Person.objects.filter(is_active=True).filter(jurisdiction.q("home_area__code"))
    if area_codes:
        inside = Q()
        for code in area_codes:
            inside |= Q(home_area__code__startswith=code)
        people = people.filter(inside)
    if team_ids:
        people = people.filter(team_id__in=list(team_ids))
    if roles:
        people = people.filter(user__role_grants__role__in=list(roles))
    if sectors:
        select = sector_selector()
        people = people.filter(pk__in=select(sectors=list(sectors)).values("pk")) if select else people.none()
    if exclude_person_ids:
        people = people.exclude(pk__in=list(exclude_person_ids))
    return people


def recipients_for(
    *,
    jurisdiction: Jurisdiction,
    lat: float | None,
    lon: float | None,
    radius_m: int | None,
    area_codes: Sequence[str] = (),
    team_ids: Sequence[int] = (),
    sectors: Sequence[str] = (),
    roles: Sequence[str] = (),
    exclude_person_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> list[Candidate]:
    """The people an alert goes to: nearest first for radius alerts, by id for filter alerts."""
    people = _eligible(
        jurisdiction=jurisdiction,
        area_codes=area_codes,
        team_ids=team_ids,
        sectors=sectors,
        roles=roles,
        exclude_person_ids=exclude_person_ids,
    )
    if radius_m is None or lat is None or lon is None:
        ids = list(people.distinct().order_by("pk").values_list("pk", flat=True))
        if lat is None or lon is None:
            return [Candidate(pid, math.nan, math.nan) for pid in ids]
        # A located filter alert still tells each recipient with a fresh fix nearby how far it is
        # (one index query for the whole area, not one lookup per recipient).
        placed = {c.person_id: c for c in nearest(lat=lat, lon=lon, radius_m=_LOCATED_FILTER_M, now=now)}
        return [placed.get(pid) or Candidate(pid, math.nan, math.nan) for pid in ids]
    near = nearest(lat=lat, lon=lon, radius_m=radius_m, now=now)
    if not near:
        return []
    on_duty = set(
        people.filter(pk__in=[c.person_id for c in near], duty__on_duty=True).distinct().values_list("pk", flat=True)
    )
    return [c for c in near if c.person_id in on_duty]
