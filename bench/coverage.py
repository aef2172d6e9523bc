"""Benchmark: whole-city coverage grid recompute with 2,000 on-duty responders (issue 6 target: under 200 ms).

Usage: .venv/bin/python bench/coverage.py [--responders 2000] [--runs 20] [--naive-cells 40] [--with-database]

Times `liaisons.grid.nearest_distances_m` plus `summarise` over every h3 cell (resolution 8)
of the city's county polygons, against responders scattered over the city. In the same run
it times the naive way, geopy's geodesic from every cell to every responder, on a sample of
cells (all 7.5 million pairs would take many minutes) and extrapolates it to the whole grid;
the sample also checks that both give the same distances.

--with-database also times the whole read behind GET /api/v1/coverage/grid for the city
admin (fresh fixes from the position store, the people lookup, the distances, the GeoJSON)
on a temporary SQLite database with that many on-duty volunteers.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _grid() -> Any:
    from core.divisions import read_divisions
    from liaisons.grid import CountyShape, TownshipPoint, build_grid

    divisions = read_divisions()
    return build_grid(
        counties=[CountyShape(d["code"], d["boundary"]) for d in divisions if d["level"] == "county" and d["boundary"]],
        townships=[TownshipPoint(d["code"], d["lat"], d["lon"]) for d in divisions if d["level"] == "township"],
        resolution=8,
    )


def pure(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    import numpy as np
    from geopy.distance import geodesic

    from liaisons.grid import nearest_distances_m, summarise

    started = time.perf_counter()
    grid = _grid()
    build_s = time.perf_counter() - started
    rng = random.Random(410600)
    # Responders stand near random cells (so inside the city), up to ~1 km off the centre.
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
    print(f"grid: {len(grid.cells)} cells (res 8), built once per process in {build_s * 1000:.0f} ms")
    print(
        f"recompute with {len(plat)} responders: runs={len(timings)} median={median * 1000:.1f} ms "
        f"max={max(timings) * 1000:.1f} ms (target 200 ms: {'met' if median < 0.2 else 'MISSED'})"
    )
    print(
        f"naive all-pairs geopy: {naive_s:.0f} s for the whole grid (extrapolated from {len(sample)} cells), "
        f"{naive_s / median:.0f}x slower; largest difference {worst_diff:.4f} m"
    )
    return grid, plat, plon


def with_database(args: argparse.Namespace, plat: Any, plon: Any) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core.models import Area, Person, RoleGrant
    from core.positions import Fix, positions
    from liaisons.coverage_selectors import coverage_grid, coverage_summary, grid_geojson

    townships = list(Area.objects.filter(level="township").values_list("code", flat=True))
    users = get_user_model().objects.bulk_create([get_user_model()(username=f"bench{i}") for i in range(len(plat) + 1)])
    admin, members = users[0], users[1:]
    RoleGrant.objects.create(user=admin, role="city_admin", area_id="410600")
    people = Person.objects.bulk_create(
        [
            Person(user=u, name=f"志愿者{i}", phone=f"139{i:08d}", home_area_id=townships[i % len(townships)])
            for i, u in enumerate(members)
        ]
    )
    RoleGrant.objects.bulk_create([RoleGrant(user=p.user, role="volunteer", area_id=p.home_area_id) for p in people])
    now = timezone.now()
    for person, lat, lon in zip(people, plat, plon, strict=True):
        positions().put(Fix(person_id=person.pk, lat=float(lat), lon=float(lon), accuracy_m=10.0, at=now))
    for name, read in (
        ("coverage_grid + GeoJSON", lambda: grid_geojson(coverage_grid(actor=admin, area=None, now=timezone.now()))),
        ("coverage_summary", lambda: coverage_summary(actor=admin, area=None, now=timezone.now())),
    ):
        read()  # warm: the grid is built once per process
        timings = []
        for _ in range(max(1, min(args.runs, 50))):
            started = time.perf_counter()
            read()
            timings.append(time.perf_counter() - started)
        print(
            f"{name} (city admin, {len(people)} on duty, SQLite): median={statistics.median(timings) * 1000:.0f} ms "
            f"max={max(timings) * 1000:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responders", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--naive-cells", type=int, default=40)
    parser.add_argument("--with-database", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DJANGO_SETTINGS_MODULE"] = "core.settings"
        if args.with_database:
            os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/coverage.sqlite3"
            os.environ.pop("REDIS_URL", None)
            subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, timeout=300)
        import django

        django.setup()
        _, plat, plon = pure(args)
        if args.with_database:
            with_database(args, plat, plon)


if __name__ == "__main__":
    main()
