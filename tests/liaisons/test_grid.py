"""The hexagon grid and the nearest-responder computation, as pure functions."""

from __future__ import annotations

import random

import numpy as np
import pytest
from geopy.distance import geodesic

from core.divisions import read_divisions
from liaisons.grid import CountyShape, Grid, TownshipPoint, build_grid, nearest_distances_m, summarise


@pytest.fixture(scope="module")
def grid() -> Grid:
    divisions = read_divisions()
    return build_grid(
        counties=[CountyShape(d["code"], d["boundary"]) for d in divisions if d["level"] == "county" and d["boundary"]],
        townships=[TownshipPoint(d["code"], d["lat"], d["lon"]) for d in divisions if d["level"] == "township"],
        resolution=8,
    )


def test_every_township_gets_cells_including_the_development_zones_inside_qibin(grid: Grid) -> None:
    townships = {d["code"] for d in read_divisions() if d["level"] == "township"}

    assert set(grid.township) == townships
    assert {c for c, t in zip(grid.county, grid.township, strict=True) if t.startswith("410671")} == {"410611"}
    assert len(set(grid.cells)) == len(grid.cells)


def test_nearest_distances_are_the_exact_geodesic_minimum(grid: Grid) -> None:
    rng = random.Random(6)
    points = [(35.45 + rng.random() * 0.6, 114.0 + rng.random() * 0.7) for _ in range(40)]
    sample = list(range(0, len(grid.cells), 37))

    found = nearest_distances_m(
        cell_lat=grid.lat[sample],
        cell_lon=grid.lon[sample],
        point_lat=np.array([p[0] for p in points]),
        point_lon=np.array([p[1] for p in points]),
    )

    for value, i in zip(found, sample, strict=True):
        expected = min(geodesic((grid.lat[i], grid.lon[i]), p).meters for p in points)
        assert abs(value - expected) < 0.01


def test_a_near_tie_goes_to_the_ellipsoidal_nearest_not_the_spherical_one() -> None:
    # North-south and east-west 5 km apart from the cell: the sphere and the ellipsoid disagree on which is nearer.
    lat, lon = 35.6, 114.2
    north = (lat + 0.04508, lon)
    east = (lat, lon + 0.05535)

    found = nearest_distances_m(
        cell_lat=np.array([lat]),
        cell_lon=np.array([lon]),
        point_lat=np.array([north[0], east[0]]),
        point_lon=np.array([north[1], east[1]]),
    )

    expected = min(geodesic((lat, lon), north).meters, geodesic((lat, lon), east).meters)
    assert abs(found[0] - expected) < 0.01


def test_nobody_on_duty_gives_nan_everywhere(grid: Grid) -> None:
    found = nearest_distances_m(
        cell_lat=grid.lat[:5], cell_lon=grid.lon[:5], point_lat=np.array([]), point_lon=np.array([])
    )

    assert np.isnan(found).all()


def test_the_summary_gives_shares_within_thresholds_and_the_worst_cells_first(grid: Grid) -> None:
    indices = np.arange(5)
    distances = np.array([500.0, 1500.0, np.nan, 4000.0, 9000.0])

    found = summarise(grid=grid, indices=indices, distances=distances, responders=2, worst=3)

    assert found.within == {1000: 0.2, 2000: 0.4, 5000: 0.6}
    assert found.worst == [
        (grid.cells[2], grid.township[2], None),
        (grid.cells[4], grid.township[4], 9000.0),
        (grid.cells[3], grid.township[3], 4000.0),
    ]
