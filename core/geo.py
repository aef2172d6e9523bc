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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


def distances_bearings(target: LatLon, points: Sequence[LatLon]) -> list[tuple[float, float]]:
    """For each point: the geodesic distance in metres to `target`, and the bearing to it (0-360, from north)."""
    if not points:
        return []
    count = len(points)
    azimuths, _, distances = _GEOD.inv(
        [p.lon for p in points], [p.lat for p in points], [target.lon] * count, [target.lat] * count
    )
    return [(float(d), float(a) % 360.0) for d, a in zip(distances, azimuths, strict=True)]

# --- many distances at once ----------------------------------------------------------------
_WGS84_A = 6378137.0
_WGS84_F = 1 / 298.257223563
_WGS84_B = _WGS84_A * (1 - _WGS84_F)


def distances_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Geodesic distances on the WGS-84 ellipsoid between paired points (numpy arrays, degrees), in metres.

    Vincenty's inverse formula, vectorised: it agrees with `distance_m` (geopy's Karney
    geodesic) to well under a millimetre for the non-antipodal distances a city or a
    province has, at a small fraction of the cost per pair.
    """
    import numpy as np

    f, a, b = _WGS84_F, _WGS84_A, _WGS84_B
    phi1, phi2 = np.radians(np.asarray(lat1, dtype=float)), np.radians(np.asarray(lat2, dtype=float))
    big_l = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    u1, u2 = np.arctan((1 - f) * np.tan(phi1)), np.arctan((1 - f) * np.tan(phi2))
    sin_u1, cos_u1, sin_u2, cos_u2 = np.sin(u1), np.cos(u1), np.sin(u2), np.cos(u2)
    lam = big_l
    sin_sigma = cos_sigma = sigma = cos2_alpha = cos_2sm = np.zeros_like(big_l)
    for _round in range(12):  # converges in a handful of rounds for any pair that is not near-antipodal
        sin_lam, cos_lam = np.sin(lam), np.cos(lam)
        sin_sigma = np.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
        sigma = np.arctan2(sin_sigma, cos_sigma)
        safe_sin_sigma = np.where(sin_sigma == 0, 1.0, sin_sigma)
        sin_alpha = np.where(sin_sigma == 0, 0.0, cos_u1 * cos_u2 * sin_lam / safe_sin_sigma)
        cos2_alpha = 1 - sin_alpha**2
        safe_cos2_alpha = np.where(cos2_alpha == 0, 1.0, cos2_alpha)
        cos_2sm = np.where(cos2_alpha == 0, 0.0, cos_sigma - 2 * sin_u1 * sin_u2 / safe_cos2_alpha)
        c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        lam = big_l + (1 - c) * f * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2))
        )
    u_sq = cos2_alpha * (a**2 - b**2) / b**2
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta_sigma = (
        big_b
        * sin_sigma
        * (
            cos_2sm
            + big_b
            / 4
            * (
                cos_sigma * (-1 + 2 * cos_2sm**2)
                - big_b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)
            )
        )
    )
    return b * big_a * (sigma - delta_sigma)
