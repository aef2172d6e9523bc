"""Benchmark: whole-city coverage grid recompute with 2,000 on-duty responders (issue 6 target: under 200 ms).

Usage: .venv/bin/python bench/coverage.py [--responders 2000] [--runs 20] [--naive-cells 40]

Times `liaisons.grid.nearest_distances_m` plus `summarise` over every h3 cell (resolution 8)
of the city's county polygons, against responders scattered over the city. In the same run
it times the naive way, geopy's geodesic from every cell to every responder, on a sample of
cells (all 7.5 million pairs would take minutes) and extrapolates it to the whole grid; the
sample also checks that both give the same distances.
No database: the grid is built from the shipped divisions.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from geopy.distance import geodesic  # noqa: E402

from core.divisions import read_divisions  # noqa: E402
from liaisons.grid import CountyShape, TownshipPoint, build_grid, nearest_distances_m, summarise  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responders", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--naive-cells", type=int, default=40)
    args = parser.parse_args()
    divisions = read_divisions()
    started = time.perf_counter()
    grid = build_grid(
        counties=[CountyShape(d["code"], d["boundary"]) for d in divisions if d["level"] == "county" and d["boundary"]],
        townships=[TownshipPoint(d["code"], d["lat"], d["lon"]) for d in divisions if d["level"] == "township"],
        resolution=8,
    )
    build_s = time.perf_counter() - started
    rng = random.Random(410600)
    # Responders stand near random cells (so they are inside the city), up to ~1 km off the centre.
    picks = [rng.randrange(len(grid.cells)) for _ in range(args.responders)]
    plat = grid.lat[picks] + np.array([rng.uniform(-0.009, 0.009) for _ in picks])
    plon = grid.lon[picks] + np.array([rng.uniform(-0.011, 0.011) for _ in picks])
    indices = np.arange(len(grid.cells))

    timings = []
    distances = np.array([])
    for _ in range(max(1, min(args.runs, 200))):
        started = time.perf_counter()
        distances = nearest_distances_m(cell_lat=grid.lat, cell_lon=grid.lon, point_lat=plat, point_lon=plon)
        summarise(grid=grid, indices=indices, distances=distances, responders=len(plat))
        timings.append(time.perf_counter() - started)

    sample = rng.sample(range(len(grid.cells)), min(args.naive_cells, len(grid.cells)))
    started = time.perf_counter()
    naive = [
        min(geodesic((grid.lat[i], grid.lon[i]), (a, b)).meters for a, b in zip(plat, plon, strict=True))
        for i in sample
    ]
    naive_s = (time.perf_counter() - started) / len(sample) * len(grid.cells)
    worst_diff = max(abs(n - distances[i]) for n, i in zip(naive, sample, strict=True))

    median = statistics.median(timings)
    print(f"grid: {len(grid.cells)} cells (res 8), built once in {build_s * 1000:.0f} ms")
    print(
        f"recompute with {len(plat)} responders: runs={len(timings)} median={median * 1000:.1f} ms "
        f"max={max(timings) * 1000:.1f} ms (target 200 ms: {'met' if median < 0.2 else 'MISSED'})"
    )
    print(
        f"naive all-pairs geopy: {naive_s:.1f} s for the whole grid (extrapolated from {len(sample)} cells); "
        f"{naive_s / median:.0f}x slower; largest difference {worst_diff:.4f} m"
    )


if __name__ == "__main__":
    main()
