"""The one place that knows about coordinates, datums, distances and boundaries.

Everything is stored in WGS-84. Phones may report GCJ-02 (Amap, Tencent,
WeChat) or BD-09 (Baidu); those are converted here on the way in, and links or
tiles for Chinese map providers get converted coordinates on the way out.

Policy outside mainland China: GCJ-02 and BD-09 are only defined inside a
rough mainland bounding box (prcoords' sanity check). Outside it, providers
apply no offset, so neither do we: the point passes through unchanged.
"""

from __future__ import annotations

import enum
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import prcoords
import pyproj
from django.utils.translation import gettext_lazy as _
from geopy.distance import geodesic
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.prepared import PreparedGeometry, prep

from core.errors import InvalidInput

DATUM_HELP = (
    "wgs84, gcj02 (Amap, Tencent, WeChat) or bd09 (Baidu); converted to WGS-84 on the way in. "
    "Outside mainland China providers apply no offset, so such points pass through unchanged."
)


class Datum(enum.StrEnum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


@dataclass(frozen=True)
class LatLon:
    lat: float
    lon: float


def valid_lat_lon(lat: float, lon: float) -> bool:
    return -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


def _in_china(lat: float, lon: float) -> bool:
    return bool(prcoords.sanity_in_china_p(prcoords.Coords(lat, lon)))


def to_wgs84(lat: float, lon: float, datum: Datum | str) -> LatLon:
    datum = Datum(datum)
    if datum is Datum.WGS84 or not _in_china(lat, lon):
        return LatLon(lat, lon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # The "bored" inverses iterate to sub-centimetre precision.
        converted = prcoords.gcj_wgs_bored((lat, lon)) if datum is Datum.GCJ02 else prcoords.bd_wgs_bored((lat, lon))
    return LatLon(converted.lat, converted.lon)


def from_wgs84(lat: float, lon: float, datum: Datum | str) -> LatLon:
    datum = Datum(datum)
    if datum is Datum.WGS84 or not _in_china(lat, lon):
        return LatLon(lat, lon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        converted = prcoords.wgs_gcj((lat, lon)) if datum is Datum.GCJ02 else prcoords.wgs_bd((lat, lon))
    return LatLon(converted.lat, converted.lon)


def distance_m(a: LatLon, b: LatLon) -> float:
    """Exact geodesic distance on the WGS-84 ellipsoid, in metres."""
    return float(geodesic((a.lat, a.lon), (b.lat, b.lon)).meters)


class Boundary:
    """A GeoJSON polygon (WGS-84, lon/lat order) prepared for fast point-in-polygon tests."""

    def __init__(self, geometry: dict[str, Any]) -> None:
        self.geometry: BaseGeometry = shape(geometry)
        self._prepared: PreparedGeometry = prep(self.geometry)

    def contains(self, lat: float, lon: float) -> bool:
        return bool(self._prepared.contains(Point(lon, lat)))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min_lon, min_lat, max_lon, max_lat)"""
        min_lon, min_lat, max_lon, max_lat = self.geometry.bounds
        return min_lon, min_lat, max_lon, max_lat


# Boundaries change only when the divisions are reloaded, which restarts the server.
_BOUNDARIES: dict[str, Boundary] = {}


def boundary_of(code: str, geometry: dict[str, Any]) -> Boundary:
    """A prepared boundary for an area's stored GeoJSON, built once per process."""
    found = _BOUNDARIES.get(code)
    if found is None:
        found = _BOUNDARIES[code] = Boundary(geometry)
    return found


def checked_wgs84(lat: float, lon: float, datum: str | None) -> LatLon:
    """A client's point converted to WGS-84, or InvalidInput with a specific code (bad datum or range).

    Out-of-mainland points pass through unchanged (see the module's policy).
    """
    try:
        parsed = Datum(datum or Datum.WGS84)
    except ValueError:
        raise InvalidInput(
            _("Unknown datum: use wgs84, gcj02 or bd09."), code="unknown_datum", details={"datum": datum}
        ) from None
    if not (math.isfinite(lat) and math.isfinite(lon) and valid_lat_lon(lat, lon)):
        raise InvalidInput(
            _("Latitude must be within -90..90 and longitude within -180..180."),
            code="invalid_coordinates",
            details={"lat": lat, "lon": lon},
        )
    return to_wgs84(lat, lon, parsed)


# geopy's `geodesic` runs Karney's algorithm in pure Python (geographiclib); pyproj's Geod runs
# the same algorithm in C (GeographicLib's geodesic.c), giving identical distances (the dispatch
# benchmark checks them against geopy) about fifty times faster for a batch of candidates.
_GEOD = pyproj.Geod(ellps="WGS84")


def distances_bearings(lat: float, lon: float, lats: Any, lons: Any) -> tuple[Any, Any]:
    """From each point (numpy arrays of degrees) to (lat, lon): geodesic distances in metres, bearings 0-360 from north.

    One call into C for the whole batch (an alert's 2,000 candidates: no Python object per point).
    """
    lats = np.asarray(lats, dtype=float)
    lons = np.asarray(lons, dtype=float)
    if not lats.size:
        return np.empty(0), np.empty(0)
    azimuths, _, distances = _GEOD.inv(lons, lats, np.full(lons.shape, lon), np.full(lats.shape, lat))
    return np.asarray(distances, dtype=float), np.mod(azimuths, 360.0)


def distances_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Geodesic distances in metres on the WGS-84 ellipsoid between paired points (numpy arrays, degrees).

    The same C implementation of Karney's algorithm as `distances_bearings`, vectorised over the pairs.
    """
    _, _, distances = _GEOD.inv(
        np.asarray(lon1, dtype=float),
        np.asarray(lat1, dtype=float),
        np.asarray(lon2, dtype=float),
        np.asarray(lat2, dtype=float),
    )
    return np.asarray(distances, dtype=float)
