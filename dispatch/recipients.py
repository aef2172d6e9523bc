"""Who an alert goes to (selectors): the nearest on-duty responders, or everyone matching a filter.

Radius alerts: the position store's fast pre-filter (Redis GEOSEARCH or the
in-process grid), a cheap flat-earth cut, then the exact WGS-84 geodesic for
the survivors, nearest first; then the database keeps only active members
who are on duty, inside the raiser's jurisdiction and matching any filters.

With the position store away (Redis down), a radius alert cannot be targeted and
raises PositionsUnavailable (503 `positions_unavailable`; alert_create's transaction
writes nothing); a filter alert still goes out, without distances.

Recipients are always inside the raiser's jurisdiction: a 淇县 coordinator's
alert near the county line does not ring 浚县 phones; escalation tells the
city's coordinator, who may raise it across the line.

Sector and "on shift now" filters read the liaisons app's selectors: liaisons of
the sectors who live or work in the target areas and, for "on shift now", whose
shift window (their own, else their sector's) covers the moment of each wave.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import numpy as np
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput, PositionsUnavailable
from core.geo import distances_bearings
from core.jurisdiction import Jurisdiction
from core.models import Person
from core.positions import FRESH_FOR, Points, positions
from liaisons.selectors import liaisons_matching, sector_codes

# The flat-earth distance errs by far less than this at alert radii; only
# candidates it puts clearly outside skip the exact geodesic.
_FLAT_MARGIN = 1.01
_M_PER_DEG = 111_195.0
# How far around a located filter alert recipients are told their distance.
_LOCATED_FILTER_M = 50_000.0


class Candidate(NamedTuple):
    person_id: int
    distance_m: float
    bearing_deg: float  # from the responder towards the alert


def nearest(
    *, lat: float, lon: float, radius_m: float, points: Points | None = None, now: datetime | None = None
) -> list[Candidate]:
    """Fresh fixes within radius_m of the point, nearest first, with exact geodesic distance and bearing.

    Column by column (numpy): an alert's thousands of candidates cost a few array operations, not
    a Python object per step per candidate. `points` defaults to the position store's pre-filter.
    """
    if points is None:
        points = positions().near(lat=lat, lon=lon, radius_m=radius_m, fresh_after=(now or timezone.now()) - FRESH_FOR)
    ids, lats, lons = points.person_ids, points.lats, points.lons
    close = _M_PER_DEG * np.hypot(lats - lat, (lons - lon) * math.cos(math.radians(lat))) <= radius_m * _FLAT_MARGIN
    ids, lats, lons = ids[close], lats[close], lons[close]
    distances, bearings = distances_bearings(lat, lon, lats, lons)
    inside = distances <= radius_m
    ids, distances, bearings = ids[inside], distances[inside], bearings[inside]
    order = np.lexsort((ids, distances))  # by distance, then person id
    return list(map(Candidate, ids[order].tolist(), distances[order].tolist(), bearings[order].tolist()))


# --- liaisons: sectors and shifts (dispatch may read liaisons' selectors) ---------------
def check_sectors(sectors: Sequence[str]) -> None:
    """Sectors are the liaisons app's (eight seeded, more may be added): anything else is refused."""
    unknown = sorted(set(sectors) - set(sector_codes()))
    if unknown:
        raise InvalidInput(_("Unknown sector."), code="unknown_sector", details={"sectors": unknown})


# --- the database side -------------------------------------------------------------------
def _eligible(
    *,
    jurisdiction: Jurisdiction,
    area_codes: Sequence[str],
    team_ids: Sequence[int],
    sectors: Sequence[str],
    roles: Sequence[str],
    exclude_person_ids: Sequence[int],
    on_shift_at: datetime | None = None,
) -> QuerySet[Person]:
    people = Person.objects.filter(is_active=True).filter(jurisdiction.q("home_area__code"))
    if sectors or on_shift_at is not None:
        # Liaisons of those sectors (every sector when none is given) who live or work in the areas,
        # and, for "on shift now", whose shift covers the moment; always homed inside the jurisdiction.
        liaisons = liaisons_matching(sectors=sectors, area_prefixes=area_codes or None, on_shift_at=on_shift_at)
        people = people.filter(pk__in=liaisons.values("person_id"))
    elif area_codes:
        inside = Q()
        for code in area_codes:
            inside |= Q(home_area__code__startswith=code)
        people = people.filter(inside)
    if team_ids:
        people = people.filter(team_id__in=list(team_ids))
    if roles:
        people = people.filter(user__role_grants__role__in=list(roles))
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
    on_shift: bool = False,
) -> list[Candidate]:
    """The people an alert goes to: nearest first for radius alerts, by id for filter alerts.

    `on_shift`: only liaisons whose shift covers `now` (their own windows, else their sector's)."""
    people = _eligible(
        jurisdiction=jurisdiction,
        area_codes=area_codes,
        team_ids=team_ids,
        sectors=sectors,
        roles=roles,
        exclude_person_ids=exclude_person_ids,
        on_shift_at=(now or timezone.now()) if on_shift else None,
    )
    if radius_m is None or lat is None or lon is None:
        ids = list(people.distinct().order_by("pk").values_list("pk", flat=True))
        if lat is None or lon is None:
            return [Candidate(pid, math.nan, math.nan) for pid in ids]
        # A located filter alert still tells each recipient with a fresh fix nearby how far it is
        # (one index query for the whole area, not one lookup per recipient).
        try:
            placed = {c.person_id: c for c in nearest(lat=lat, lon=lon, radius_m=_LOCATED_FILTER_M, now=now)}
        except PositionsUnavailable:
            placed = {}  # the recipients come from the database; only their distances wait for the store
        return [placed.get(pid) or Candidate(pid, math.nan, math.nan) for pid in ids]
    near = nearest(lat=lat, lon=lon, radius_m=radius_m, now=now)
    if not near:
        return []
    # The ids go as one array parameter: 2,000 placeholders cost more than the query.
    on_duty = set(
        people.filter(pk__in_array=[c.person_id for c in near], duty__on_duty=True)
        .distinct()
        .values_list("pk", flat=True)
    )
    return [c for c in near if c.person_id in on_duty]
