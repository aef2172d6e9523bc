"""The hexagon grid over the city and each cell's distance to the nearest on-duty responder.

Pure functions of plain data (polygons, points, arrays): no database, no clock,
so the map, the tests and the benchmark all run the same code.

Nearest responder, fast and exact: cells and responders become unit vectors
and matrix products of small blocks of cells against the responders that can
matter to them give each cell's great-circle nearest responder. The sphere is
off from the WGS-84 ellipsoid by under 0.7 % in any direction, so every
responder within 1 % (+10 m) of the spherical best is a candidate, and the
candidates' exact ellipsoidal distances (core.geo.distances_m, Karney via pyproj)
decide. The answer is then the true geodesic nearest, not an approximation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import h3
import numpy as np
from shapely.geometry import Point, shape
from shapely.prepared import prep

from core.geo import distances_m

MEAN_EARTH_RADIUS_M = 6_371_008.8
_SLACK = 1.01
_SLACK_ANGLE = 10.0 / MEAN_EARTH_RADIUS_M
_BLOCK_DEG = 0.05  # cells are handled in blocks of about 5 km


@dataclass(frozen=True)
class CountyShape:
    code: str
    geometry: dict[str, Any]  # GeoJSON, WGS-84


@dataclass(frozen=True)
class TownshipPoint:
    code: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Grid:
    """h3 cells whose centres lie inside the county polygons, each assigned to its nearest township."""

    resolution: int
    cells: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    county: tuple[str, ...]
    township: tuple[str, ...]

    def indices_within(self, prefixes: Sequence[str]) -> np.ndarray:
        """Positions of the cells whose township code starts with any of the prefixes."""
        keep = tuple(prefixes)
        return np.array([i for i, code in enumerate(self.township) if code.startswith(keep)], dtype=np.intp)


def build_grid(*, counties: Sequence[CountyShape], townships: Sequence[TownshipPoint], resolution: int) -> Grid:
    """Fill each county polygon with h3 cells and give each cell the township whose centre is nearest.

    Townships have only centre points, so a township's cells are the Voronoi region of its
    centre inside its county. A unit without a polygon of its own (the development zone,
    inside 淇滨区) competes for the cells of the county polygon that contains its townships.
    """
    prepared = [(c.code, prep(shape(c.geometry))) for c in counties]
    hosted: dict[str, list[TownshipPoint]] = {c.code: [] for c in counties}
    for town in townships:
        host = town.code[:6] if town.code[:6] in hosted else None
        if host is None:
            host = next((code for code, poly in prepared if poly.contains(Point(town.lon, town.lat))), None)
        if host is not None:
            hosted[host].append(town)

    cells: list[str] = []
    county_of: list[str] = []
    township_of: list[str] = []
    seen: set[str] = set()
    for county in counties:
        towns = hosted[county.code]
        if not towns:
            continue
        found = sorted(set(h3.geo_to_cells(county.geometry, resolution)) - seen)
        seen.update(found)
        centres = np.array([h3.cell_to_latlng(c) for c in found], dtype=float).reshape(-1, 2)
        town_ll = np.array([(t.lat, t.lon) for t in towns], dtype=float)
        # Nearest centre on a local plane: ample for a Voronoi split a few kilometres across.
        scale = np.cos(np.radians(town_ll[:, 0].mean()))
        dy = centres[:, None, 0] - town_ll[None, :, 0]
        dx = (centres[:, None, 1] - town_ll[None, :, 1]) * scale
        nearest = np.argmin(dx * dx + dy * dy, axis=1)
        cells.extend(found)
        county_of.extend([county.code] * len(found))
        township_of.extend(towns[i].code for i in nearest)
    latlon = np.array([h3.cell_to_latlng(c) for c in cells], dtype=float).reshape(-1, 2)
    return Grid(
        resolution=resolution,
        cells=tuple(cells),
        lat=latlon[:, 0],
        lon=latlon[:, 1],
        county=tuple(county_of),
        township=tuple(township_of),
    )


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def nearest_distances_m(
    *, cell_lat: np.ndarray, cell_lon: np.ndarray, point_lat: np.ndarray, point_lon: np.ndarray
) -> np.ndarray:
    """For each cell, the geodesic distance in metres to the nearest point (NaN everywhere if there is none).

    Cells are taken a few kilometres at a time (a block). For a block with centre c and
    angular radius r, no cell can be nearer to a point than angle(c, point) - r, and none is
    farther from its nearest than min(angle(c, point)) + r; so only the points within that
    bound (with the ellipsoid's slack) can be anyone's nearest, and only those enter the
    block's matrix product. With responders spread over a city that keeps each product small.
    """
    n = len(cell_lat)
    if n == 0 or len(point_lat) == 0:
        return np.full(n, np.nan)
    clat, clon = np.asarray(cell_lat, dtype=float), np.asarray(cell_lon, dtype=float)
    plat, plon = np.asarray(point_lat, dtype=float), np.asarray(point_lon, dtype=float)
    cells, points = _unit_vectors(clat, clon), _unit_vectors(plat, plon)
    pair_cells: list[np.ndarray] = []
    pair_points: list[np.ndarray] = []
    for block in _blocks(clat, clon):
        members = cells[block]
        centre = members.mean(axis=0)
        centre /= np.linalg.norm(centre)
        radius = float(np.arccos(np.clip((members @ centre).min(), -1.0, 1.0)))
        from_centre = np.arccos(np.clip(points @ centre, -1.0, 1.0))
        reach = (from_centre.min() + radius) * _SLACK + _SLACK_ANGLE + radius
        near = np.flatnonzero(from_centre <= reach)
        dots = members @ points[near].T
        best = np.arccos(np.clip(dots.max(axis=1), -1.0, 1.0))
        threshold = np.cos(np.minimum(best * _SLACK + _SLACK_ANGLE, np.pi))
        rows, cols = np.nonzero(dots >= threshold[:, None])
        pair_cells.append(block[rows])
        pair_points.append(near[cols])
    # One vectorised pass of exact distances over every candidate pair of every block.
    which_cell, which_point = np.concatenate(pair_cells), np.concatenate(pair_points)
    exact = distances_m(clat[which_cell], clon[which_cell], plat[which_point], plon[which_point])
    nearest = np.full(n, np.inf)
    np.minimum.at(nearest, which_cell, exact)
    return nearest


def _blocks(lat: np.ndarray, lon: np.ndarray) -> list[np.ndarray]:
    """Cell positions grouped by a _BLOCK_DEG square of latitude and longitude."""
    keys = np.floor(lat / _BLOCK_DEG).astype(np.int64) * 100_000 + np.floor(lon / _BLOCK_DEG).astype(np.int64)
    order = np.argsort(keys, kind="stable")
    starts = np.flatnonzero(np.diff(keys[order])) + 1
    return np.split(order, starts)


@dataclass(frozen=True)
class GridSummary:
    cells: int
    responders: int
    # Share of cells (0..1) whose nearest responder is within each threshold, in metres.
    within: dict[int, float]
    # The cells farthest from anyone on duty: (cell, township, distance_m or None).
    worst: list[tuple[str, str, float | None]]


def summarise(
    *,
    grid: Grid,
    indices: np.ndarray,
    distances: np.ndarray,
    responders: int,
    thresholds: Sequence[int] = (1000, 2000, 5000),
    worst: int = 10,
) -> GridSummary:
    """Coverage shares and the worst cells among the given cells (distances are per given cell)."""
    total = len(indices)
    within = {t: (float(np.count_nonzero(distances <= t)) / total if total else 0.0) for t in thresholds}
    # NaN (nobody on duty) sorts as the worst of all.
    order = np.argsort(np.nan_to_num(distances, nan=np.inf), kind="stable")[::-1][:worst]
    return GridSummary(
        cells=total,
        responders=responders,
        within=within,
        worst=[
            (
                grid.cells[indices[i]],
                grid.township[indices[i]],
                None if np.isnan(distances[i]) else round(float(distances[i]), 1),
            )
            for i in order
        ],
    )


def cell_polygon(cell: str) -> list[list[float]]:
    """A cell's boundary as a closed GeoJSON ring (lon, lat)."""
    ring = [[round(lon, 6), round(lat, 6)] for lat, lon in h3.cell_to_boundary(cell)]
    return [*ring, ring[0]]
