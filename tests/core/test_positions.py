from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.geo import LatLon, distance_m
from core.positions import Fix, MemoryStore

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
CENTRE = LatLon(35.741841, 114.292825)  # 淇滨区


def fix(pid: int, dlat: float = 0.0, dlon: float = 0.0, age_s: int = 0) -> Fix:
    return Fix(pid, CENTRE.lat + dlat, CENTRE.lon + dlon, 10.0, NOW - timedelta(seconds=age_s))


def test_near_returns_fresh_fixes_around_the_point_across_cell_borders():
    store = MemoryStore()
    store.put(fix(1, 0.01))  # ~1.1 km north
    store.put(fix(2, -0.02, 0.02))  # ~2.9 km south-east
    store.put(fix(3, 0.2))  # ~22 km: far
    store.put(fix(4, 0.005, age_s=900))  # stale

    found = store.near(lat=CENTRE.lat, lon=CENTRE.lon, radius_m=3000, fresh_after=NOW - timedelta(minutes=10))

    assert sorted(found.person_ids.tolist()) == [1, 2]
    assert all(distance_m(LatLon(lat, lon), CENTRE) < 3000 for lat, lon in zip(found.lats, found.lons, strict=True))


def test_a_new_fix_replaces_the_old_one_and_remove_forgets_it():
    store = MemoryStore()
    store.put(fix(1, 0.3))
    store.put(fix(1, 0.001))

    assert store.get(1) == fix(1, 0.001)
    near = store.near(lat=CENTRE.lat, lon=CENTRE.lon, radius_m=500, fresh_after=NOW - timedelta(1))
    assert near.person_ids.tolist() == [1]
    assert len(store.near(lat=CENTRE.lat + 0.3, lon=CENTRE.lon, radius_m=500, fresh_after=NOW - timedelta(1))) == 0

    store.remove(1)

    assert store.get(1) is None
    assert store.fresh(fresh_after=NOW - timedelta(1)) == []
