"""Placing points and shapes among the divisions: which township an alert is in, how far its county reaches.

Only counties ship a boundary. A point is in a county when that polygon
contains it, and in the township of that county whose centre is nearest (a
Voronoi approximation of township borders, documented in docs/BENCHMARKS.md's
dispatch notes). Townships of divisions without a polygon of their own (the
development zone, whose streets lie inside 淇滨区) count for the county whose
polygon contains their centre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from core.geo import Boundary, LatLon, boundary_of, distance_m
from core.models import Area, AreaBoundary, AreaLevel

_M_PER_DEG = 111_195.0


@dataclass(frozen=True)
class Township:
    code: str
    lat: float
    lon: float


@dataclass(frozen=True)
class County:
    code: str
    boundary: Boundary
    townships: tuple[Township, ...]


@lru_cache(maxsize=1)
def _counties() -> tuple[County, ...]:
    areas = list(Area.objects.filter(level__in=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP]).order_by("code"))
    outlines = AreaBoundary.objects.filter(area__level=AreaLevel.COUNTY).by_area()
    bounded = {code: boundary_of(code, outlines[code]) for code in sorted(outlines)}
    members: dict[str, list[Township]] = {code: [] for code in bounded}
    for area in areas:
        if area.level != AreaLevel.TOWNSHIP:
            continue
        home = area.parent_id if area.parent_id in bounded else None
        if home is None:
            home = next((c for c, b in bounded.items() if b.contains(area.lat, area.lon)), None)
        if home is not None:
            members[home].append(Township(area.code, area.lat, area.lon))
    return tuple(County(code, bounded[code], tuple(members[code])) for code in sorted(bounded))


def reset_cache() -> None:
    """Forget the cached divisions (after `load_areas`, and between tests that reload them)."""
    _counties.cache_clear()


def _flat_m(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    return _M_PER_DEG * math.hypot(a_lat - b_lat, (a_lon - b_lon) * math.cos(math.radians(a_lat)))


def locate(lat: float, lon: float) -> str | None:
    """The code of the township containing the point (or its county's, if it has no townships); None outside."""
    for county in _counties():
        if county.boundary.contains(lat, lon):
            if not county.townships:
                return county.code
            return min(county.townships, key=lambda t: _flat_m(lat, lon, t.lat, t.lon)).code
    return None


def townships_in(shape: BaseGeometry) -> list[str]:
    """Townships whose centre lies inside a shape (lon/lat order, WGS-84)."""
    return sorted(t.code for c in _counties() for t in c.townships if shape.contains(Point(t.lon, t.lat)))


def townships_within(*, lat: float, lon: float, radius_m: float) -> list[str]:
    centre = LatLon(lat, lon)
    return sorted(
        t.code for c in _counties() for t in c.townships if distance_m(centre, LatLon(t.lat, t.lon)) <= radius_m
    )


def county_reach_m(*, area_code: str, lat: float, lon: float) -> float:
    """How far from the point its county extends (to the farthest corner of the county's bounding box)."""
    county = next((c for c in _counties() if area_code.startswith(c.code) or c.code == area_code[:6]), None)
    if county is None:
        county = next((c for c in _counties() if c.boundary.contains(lat, lon)), None)
    if county is None:
        return 0.0
    min_lon, min_lat, max_lon, max_lat = county.boundary.bounds
    corners = [(min_lat, min_lon), (min_lat, max_lon), (max_lat, min_lon), (max_lat, max_lon)]
    return max(distance_m(LatLon(lat, lon), LatLon(a, b)) for a, b in corners)
