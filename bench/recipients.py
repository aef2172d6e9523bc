"""Recipient selection among 100,000 on-duty people spread over a Henan-sized area, radius 3 km.

Three ways to answer "who is within 3 km, nearest first, with exact distances", in one run:
- memory: the in-process grid index (core.positions.MemoryStore) + dispatch.recipients.nearest
- redis:  Redis GEOSEARCH (core.positions_redis.RedisGeoStore) + dispatch.recipients.nearest
- naive:  geopy's geodesic distance to every one of the 100,000, then filter and sort

Both fast paths end in the same exact WGS-84 geodesic (geographiclib, as geopy uses) for
every candidate the index returns, so they return exactly what the naive scan returns;
the run checks that on every naive query.

Usage: .venv/bin/python bench/recipients.py [--people 100000] [--queries 1000] [--naive-queries 3]
       [--layout uniform|clustered] [--redis-url redis://127.0.0.1:6379/5]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

import django

django.setup()

from django.utils import timezone  # noqa: E402
from geopy.distance import geodesic  # noqa: E402

from core.positions import FRESH_FOR, Fix, MemoryStore  # noqa: E402
from core.positions_redis import RedisGeoStore  # noqa: E402
from dispatch.recipients import nearest  # noqa: E402

RADIUS_M = 3000.0
# A square of Henan's area (167,000 km²: ~409 km a side) centred on the province.
CENTRE = (33.9, 113.5)
SIDE_KM = 409.0
# Henan's 17 prefecture-level cities and Jiyuan (approximate centres), for the clustered layout.
CITIES = [
    (34.75, 113.63),
    (34.62, 112.45),
    (34.80, 114.31),
    (33.74, 113.19),
    (36.10, 114.39),
    (35.75, 114.30),
    (35.30, 113.93),
    (35.22, 113.24),
    (35.76, 115.03),
    (34.04, 113.85),
    (33.58, 114.02),
    (34.77, 111.20),
    (33.00, 112.53),
    (34.41, 115.66),
    (32.15, 114.09),
    (33.63, 114.65),
    (32.98, 114.02),
    (35.07, 112.60),
]


def _uniform(rng: random.Random) -> tuple[float, float]:
    half_lat = SIDE_KM / 2 / 111.32
    half_lon = SIDE_KM / 2 / (111.32 * math.cos(math.radians(CENTRE[0])))
    return CENTRE[0] + rng.uniform(-half_lat, half_lat), CENTRE[1] + rng.uniform(-half_lon, half_lon)


def _clustered(rng: random.Random) -> tuple[float, float]:
    """Half spread evenly, half around the cities (sigma 15 km): people live where people live."""
    if rng.random() < 0.5:
        return _uniform(rng)
    lat, lon = rng.choice(CITIES)
    return lat + rng.gauss(0, 15 / 111.32), lon + rng.gauss(0, 15 / (111.32 * math.cos(math.radians(lat))))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _naive(fixes: list[Fix], lat: float, lon: float) -> list[tuple[int, float]]:
    found = []
    for fix in fixes:
        distance = geodesic((fix.lat, fix.lon), (lat, lon)).meters
        if distance <= RADIUS_M:
            found.append((fix.person_id, distance))
    found.sort(key=lambda pair: (pair[1], pair[0]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--naive-queries", type=int, default=3)
    parser.add_argument("--layout", choices=["uniform", "clustered"], default="uniform")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"))
    parser.add_argument("--seed", type=int, default=4106)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    draw = _uniform if args.layout == "uniform" else _clustered
    now = timezone.now()
    fixes = []
    for pid in range(1, args.people + 1):
        lat, lon = draw(rng)
        fixes.append(
            Fix(person_id=pid, lat=lat, lon=lon, accuracy_m=15.0, at=now - timedelta(seconds=rng.uniform(0, 300)))
        )
    # Alerts happen where people are: each query point is a random person's position, nudged.
    queries = [(f.lat + rng.gauss(0, 0.005), f.lon + rng.gauss(0, 0.005)) for f in rng.sample(fixes, args.queries)]
    fresh_after = now - FRESH_FOR

    memory = MemoryStore()
    for fix in fixes:
        memory.put(fix)
    redis_store = RedisGeoStore(args.redis_url, prefix=f"zqbench-{uuid.uuid4().hex[:8]}")
    redis_store.put_many(fixes)

    def select(store: MemoryStore | RedisGeoStore, lat: float, lon: float) -> list[tuple[int, float]]:
        candidates = store.near(lat=lat, lon=lon, radius_m=RADIUS_M, fresh_after=fresh_after)
        return [(c.person_id, c.distance_m) for c in nearest(lat=lat, lon=lon, radius_m=RADIUS_M, points=candidates)]

    results: dict[str, list[float]] = {}
    found_counts: list[int] = []
    try:
        for name, store in (("memory", memory), ("redis", redis_store)):
            for lat, lon in queries[:50]:  # warm-up
                select(store, lat, lon)
            timings = []
            gc.collect()
            for lat, lon in queries:
                start = time.perf_counter()
                found = select(store, lat, lon)
                timings.append((time.perf_counter() - start) * 1000)
                if name == "memory":
                    found_counts.append(len(found))
            results[name] = timings
        naive_timings = []
        for lat, lon in queries[: args.naive_queries]:
            start = time.perf_counter()
            truth = _naive(fixes, lat, lon)
            naive_timings.append((time.perf_counter() - start) * 1000)
            for name, store in (("memory", memory), ("redis", redis_store)):
                got = select(store, lat, lon)
                same = [p for p, _ in got] == [p for p, _ in truth] and all(
                    abs(a - b) < 1e-6 for (_, a), (_, b) in zip(got, truth, strict=True)
                )
                if not same:
                    raise SystemExit(f"{name} disagrees with the naive scan at {lat},{lon}")
        results["naive"] = naive_timings
    finally:
        redis_store.clear()

    print(f"recipient selection, {args.people:,} fresh fixes ({args.layout}, {SIDE_KM:.0f} km square), radius 3 km")
    print(
        f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpus, {time.strftime('%Y-%m-%d')}"
    )
    print(f"recipients per query: mean {statistics.mean(found_counts):.1f}, max {max(found_counts)}")
    print(f"{'path':8} {'queries':>8} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
    for name, timings in results.items():
        p50, p99 = _pct(timings, 0.5), _pct(timings, 0.99)
        print(f"{name:8} {len(timings):8d} {p50:9.3f} {p99:9.3f} {max(timings):9.3f}")
    print("fast paths agree with the naive scan on every naive query (same people, same order, same distances)")


if __name__ == "__main__":
    main()
