"""Coverage reads: the database and the live positions gathered, scoped, and handed to the pure functions.

On duty = a fresh fix in core.positions (a fix exists only while its person is on
duty). Only people homed inside the viewer's jurisdiction count, so a 淇县
coordinator's numbers, grid distances and map layers hold nothing of other counties.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from redis.exceptions import RedisError

from core.errors import NotFound, PositionsUnavailable
from core.jurisdiction import Jurisdiction, jurisdiction_for
from core.models import Area, AreaBoundary, AreaLevel, Person
from core.positions import FRESH_FOR, Fix, positions
from core.roles import Capability
from liaisons.coverage import AreaCount, Shortfall, area_counts, sector_gaps, shortfalls, townships_without_on_duty
from liaisons.grid import CountyShape, Grid, GridSummary, TownshipPoint, build_grid, cell_polygon, nearest_distances_m
from liaisons.grid import summarise as summarise_grid
from liaisons.selectors import (
    areas_in,
    coverage_jurisdiction,
    members_in,
    sector_codes,
    station_list,
    targets_in,
    township_codes,
)
from realtime.presence import connected_person_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import User


logger = logging.getLogger(__name__)


@lru_cache(maxsize=2)
def city_grid(resolution: int) -> Grid:
    """The grid over every county polygon. Divisions change only on reload, which restarts the server."""
    outlines = AreaBoundary.objects.filter(area__level=AreaLevel.COUNTY).by_area()
    townships = Area.objects.filter(level=AreaLevel.TOWNSHIP).order_by("code")
    return build_grid(
        counties=[CountyShape(code, outlines[code]) for code in sorted(outlines)],
        townships=[TownshipPoint(a.code, a.lat, a.lon) for a in townships],
        resolution=resolution,
    )


@lru_cache(maxsize=8192)
def _polygon(cell: str) -> list[list[float]]:
    return cell_polygon(cell)


def on_duty_fixes(*, jurisdiction: Jurisdiction, now: datetime) -> list[tuple[Fix, str]]:
    """Fresh fixes of people on duty and homed inside the jurisdiction, with each person's home area code.

    On duty per the database: a fix its owner left behind going off duty while the store was away
    counts for nothing. Raises PositionsUnavailable when the store cannot be read."""
    fixes = positions().fresh(fresh_after=now - FRESH_FOR)
    if not fixes:
        return []
    # One query for any number of fixes: the ids travel as one parameter (core/lookups.py).
    homes: dict[int, str] = dict(
        Person.objects.filter(pk__in_array=[f.person_id for f in fixes], duty__on_duty=True)
        .filter(jurisdiction.q("home_area__code"))
        .values_list("pk", "home_area_id")
    )
    return [(f, homes[f.person_id]) for f in fixes if f.person_id in homes]


def on_duty_now(*, jurisdiction: Jurisdiction, now: datetime) -> set[int] | None:
    """Who is on duty with a fresh fix; None when the position store cannot be read.

    Like "connected", "on duty" then reads as unknown (null) beside the counts from the database."""
    try:
        return {fix.person_id for fix, _home in on_duty_fixes(jurisdiction=jurisdiction, now=now)}
    except PositionsUnavailable:
        logger.warning("coverage: positions unavailable; on-duty counts omitted")
        return None


def connected_now() -> set[int] | None:
    """Who has a phone socket open on any server process (realtime's presence); None when it cannot be read.

    A Redis outage must not take the coverage view down with it: the counts that come from the
    database still show, and "connected" says "unknown" (null) rather than a false zero.
    """
    try:
        return connected_person_ids()
    except RedisError as exc:
        logger.warning("coverage: presence unavailable (%s); connected counts omitted", exc)
        return None


def coverage_by_area(
    *, actor: User, level: str | None, area: str | None, now: datetime, with_connected: bool = True
) -> list[AreaCount]:
    """Counts per area; "connected" counts the members (volunteers, liaisons) with a live phone socket."""
    jurisdiction = coverage_jurisdiction(actor=actor, area=area)
    members = members_in(jurisdiction=jurisdiction)
    on_duty = on_duty_now(jurisdiction=jurisdiction, now=now)
    online = connected_now() if with_connected else None
    areas = [(a.code, a.prefix) for a in areas_in(jurisdiction=jurisdiction, level=level)]
    return area_counts(areas=areas, members=members, on_duty=on_duty, connected=online)


@dataclass(frozen=True)
class GridView:
    grid: Grid
    indices: np.ndarray
    distances: np.ndarray  # one per index; NaN when nobody is on duty
    responders: int


def coverage_grid(*, actor: User, area: str | None, now: datetime) -> GridView:
    """Raises PositionsUnavailable when the store cannot be read: `null` distances mean "nobody on duty"."""
    # Responders who may reach a cell are everyone the actor may see, not only those homed in `area`.
    visible = on_duty_fixes(jurisdiction=coverage_jurisdiction(actor=actor), now=now)
    return _grid_view(jurisdiction=coverage_jurisdiction(actor=actor, area=area), fixes=[f for f, _home in visible])


def _grid_view(*, jurisdiction: Jurisdiction, fixes: list[Fix]) -> GridView:
    grid = city_grid(settings.COVERAGE_H3_RESOLUTION)
    indices = grid.indices_within(jurisdiction.prefixes)
    distances = nearest_distances_m(
        cell_lat=grid.lat[indices],
        cell_lon=grid.lon[indices],
        point_lat=np.array([f.lat for f in fixes], dtype=float),
        point_lon=np.array([f.lon for f in fixes], dtype=float),
    )
    return GridView(grid=grid, indices=indices, distances=distances, responders=len(fixes))


def grid_geojson(view: GridView) -> dict[str, Any]:
    features = []
    for i, index in enumerate(view.indices):
        distance = view.distances[i]
        features.append(
            {
                "type": "Feature",
                "id": view.grid.cells[index],
                "geometry": {"type": "Polygon", "coordinates": [_polygon(view.grid.cells[index])]},
                "properties": {
                    "cell": view.grid.cells[index],
                    "township": view.grid.township[index],
                    "distance_m": None if np.isnan(distance) else round(float(distance), 1),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True)
class CoverageSummary:
    grid: GridSummary
    townships_without_on_duty: list[str]


def coverage_summary(*, actor: User, area: str | None, now: datetime, worst: int = 10) -> CoverageSummary:
    """The grid's worst cells and the townships with nobody on duty, from ONE read of the positions.

    The grid counts every responder the actor may see (they may cross into `area`); the townships
    count those homed inside `area`. Raises PositionsUnavailable when the store cannot be read.
    """
    visible = on_duty_fixes(jurisdiction=coverage_jurisdiction(actor=actor), now=now)
    jurisdiction = coverage_jurisdiction(actor=actor, area=area)
    view = _grid_view(jurisdiction=jurisdiction, fixes=[f for f, _home in visible])
    counts = area_counts(
        areas=[(a.code, a.prefix) for a in areas_in(jurisdiction=jurisdiction, level=AreaLevel.TOWNSHIP)],
        members=members_in(jurisdiction=jurisdiction),
        on_duty={f.person_id for f, home in visible if jurisdiction.covers(home)},
        connected=None,
    )
    return CoverageSummary(
        grid=summarise_grid(
            grid=view.grid, indices=view.indices, distances=view.distances, responders=view.responders, worst=worst
        ),
        townships_without_on_duty=townships_without_on_duty(
            townships=township_codes(jurisdiction=jurisdiction), counts=counts
        ),
    )


def coverage_shortfalls(*, actor: User, area: str | None) -> list[Shortfall]:
    jurisdiction = coverage_jurisdiction(actor=actor, area=area)
    return shortfalls(
        townships=township_codes(jurisdiction=jurisdiction),
        sectors=sector_codes(),
        liaisons=[m for m in members_in(jurisdiction=jurisdiction) if m.sector],
        targets=targets_in(jurisdiction=jurisdiction),
    )


# --- map layers (GeoJSON) --------------------------------------------------------------------


def county_layer(*, actor: User) -> dict[str, Any]:
    jurisdiction = coverage_jurisdiction(actor=actor)
    outlines = (
        AreaBoundary.objects.filter(jurisdiction.q("area__code"), area__level=AreaLevel.COUNTY)
        .select_related("area")
        .order_by("area_id")
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": o.area_id,
                "geometry": o.geometry,
                "properties": {"code": o.area_id, "name": o.area.name},
            }
            for o in outlines
        ],
    }


def township_layer(*, actor: User, now: datetime) -> dict[str, Any]:
    counts = {c.area_code: c for c in coverage_by_area(actor=actor, level=AreaLevel.TOWNSHIP, area=None, now=now)}
    jurisdiction = coverage_jurisdiction(actor=actor)
    features = []
    for a in areas_in(jurisdiction=jurisdiction, level=AreaLevel.TOWNSHIP):
        count = counts[a.code]
        features.append(
            {
                "type": "Feature",
                "id": a.code,
                "geometry": {"type": "Point", "coordinates": [a.lon, a.lat]},
                "properties": {
                    "code": a.code,
                    "name": a.name,
                    "volunteers": count.volunteers,
                    "liaisons": count.liaisons,
                    "on_duty": count.on_duty,
                    "connected": count.connected,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# About 110 m: enough to see coverage, not enough to find someone's door.
_MASKED_DECIMALS = 3


def on_duty_layer(*, actor: User, now: datetime) -> dict[str, Any]:
    """On-duty positions; exact and named only for viewers whose role may see personal data of that person."""
    jurisdiction = coverage_jurisdiction(actor=actor)
    reveal = jurisdiction_for(actor, Capability.VIEW_PERSONAL_DATA)
    fixes = on_duty_fixes(jurisdiction=jurisdiction, now=now)
    names = dict(
        Person.objects.filter(pk__in=[f.person_id for f, home in fixes if reveal.covers(home)]).values_list(
            "pk", "name"
        )
    )
    features = []
    for fix, home in sorted(fixes, key=lambda pair: pair[0].person_id):
        exact = reveal.covers(home)
        lat, lon = (fix.lat, fix.lon) if exact else (round(fix.lat, _MASKED_DECIMALS), round(fix.lon, _MASKED_DECIMALS))
        properties: dict[str, Any] = {"area_code": home[:9], "at": fix.at.isoformat(), "exact": exact}
        if exact:
            properties.update(person_id=fix.person_id, name=names.get(fix.person_id, ""), accuracy_m=fix.accuracy_m)
        features.append(
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}
        )
    return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True)
class Vacancies:
    stations_without_head: int
    stations: list[Any]
    gaps: dict[str, list[str]]


def vacancies(*, actor: User, area: str | None) -> Vacancies:
    """Stations without a head, and townships with no liaison in a sector."""
    jurisdiction = coverage_jurisdiction(actor=actor, area=area)
    stations = station_list(actor=actor, area=area, vacant=True)
    return Vacancies(
        stations_without_head=stations.count(),
        stations=list(stations[:200]),
        gaps=sector_gaps(
            townships=township_codes(jurisdiction=jurisdiction),
            sectors=sector_codes(),
            liaisons=[m for m in members_in(jurisdiction=jurisdiction) if m.sector],
        ),
    )


@dataclass(frozen=True)
class VacancyCounts:
    stations_without_head: int
    townships_with_gaps: int
    sector_gaps: int  # township-sector pairs with no liaison


def vacancy_counts(*, actor: User, areas: Sequence[Area]) -> dict[str, VacancyCounts]:
    """What `vacancies(area=...)` counts, for each of several areas of the actor's jurisdiction (e.g. every
    county), by area code: one read of the jurisdiction, the same handful of queries for one area or twenty.

    As there, an area's sector gaps are filled only by liaisons homed in it.
    """
    jurisdiction = coverage_jurisdiction(actor=actor)
    outside = next((a.code for a in areas if not jurisdiction.covers(a.code)), None)
    if outside is not None:
        raise NotFound(details={"area": outside})
    sectors = sector_codes()
    townships = township_codes(jurisdiction=jurisdiction)
    liaisons = [m for m in members_in(jurisdiction=jurisdiction) if m.sector]
    vacant = list(station_list(actor=actor, vacant=True).values_list("area_id", flat=True))
    counts = {}
    for area in areas:
        gaps = sector_gaps(
            townships=[t for t in townships if t.startswith(area.prefix)],
            sectors=sectors,
            liaisons=[m for m in liaisons if m.home_code.startswith(area.prefix)],
        )
        counts[area.code] = VacancyCounts(
            stations_without_head=sum(code.startswith(area.prefix) for code in vacant),
            townships_with_gaps=len(gaps),
            sector_gaps=sum(len(missing) for missing in gaps.values()),
        )
    return counts
