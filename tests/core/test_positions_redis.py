from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from core.errors import PositionsUnavailable
from core.positions import FRESH_FOR, Fix, MemoryStore, PositionStore
from core.positions_redis import RedisGeoStore
from tests.conftest import JINSHAN
from tests.redis_outage import closed_port


@pytest.fixture(params=["memory", "redis"])
def store(request, redis_url) -> Iterator[PositionStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    url = os.environ.get("ZHENGQI_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
    # A prefix of its own, so parallel runs on the same Redis never see each other's keys.
    found = RedisGeoStore(url, prefix=f"zqtest-{uuid.uuid4().hex[:8]}")
    yield found
    found.clear()


def _fix(person_id: int, lat: float, lon: float, *, age_s: float = 0.0) -> Fix:
    return Fix(person_id=person_id, lat=lat, lon=lon, accuracy_m=12.5, at=timezone.now() - timedelta(seconds=age_s))


@pytest.mark.redis
def test_near_finds_fresh_fixes_and_ignores_stale_ones(store):
    store.put(_fix(1, JINSHAN[0] + 0.005, JINSHAN[1]))  # ~555 m north
    store.put(_fix(2, JINSHAN[0], JINSHAN[1] + 0.01))  # ~900 m east
    store.put(_fix(3, JINSHAN[0] + 0.002, JINSHAN[1], age_s=FRESH_FOR.total_seconds() + 1))  # stale
    store.put(_fix(4, JINSHAN[0] + 0.2, JINSHAN[1]))  # ~22 km away

    found = store.near(lat=JINSHAN[0], lon=JINSHAN[1], radius_m=1000, fresh_after=timezone.now() - FRESH_FOR)

    assert sorted(found.person_ids.tolist()) == [1, 2]


@pytest.mark.redis
def test_near_returns_the_exact_stored_coordinates(store):
    """GEO's geohash rounds to ~0.6 m; targeting reads the exact WGS-84 point from the hash."""
    store.put(_fix(7, 35.7746911234567, 114.2403405678912))
    store.put(_fix(8, 35.7751234567891, 114.2409876543219))

    found = store.near(lat=JINSHAN[0], lon=JINSHAN[1], radius_m=1000, fresh_after=timezone.now() - FRESH_FOR)

    points = sorted(zip(found.person_ids.tolist(), found.lats.tolist(), found.lons.tolist(), strict=True))
    assert points == [(7, 35.7746911234567, 114.2403405678912), (8, 35.7751234567891, 114.2409876543219)]


@pytest.mark.redis
def test_near_reads_more_fixes_than_one_hmget_batch_takes(store):
    """The script fetches fixes 1,000 ids at a time: 2,500 people (a few stale) all come back right."""
    now = timezone.now()
    fixes = [
        Fix(person_id=i, lat=JINSHAN[0] + (i % 50) * 1e-4, lon=JINSHAN[1] + (i // 50) * 1e-4, accuracy_m=None,
            at=now - (FRESH_FOR * 2 if i % 100 == 0 else timedelta(0)))
        for i in range(1, 2501)
    ]  # fmt: skip
    for fix in fixes:
        store.put(fix)

    found = store.near(lat=JINSHAN[0], lon=JINSHAN[1], radius_m=2000, fresh_after=now - FRESH_FOR)

    fresh = {f.person_id: (f.lat, f.lon) for f in fixes if f.at > now - FRESH_FOR}
    assert len(found) == len(fresh) == 2475
    assert (
        dict(zip(found.person_ids.tolist(), zip(found.lats.tolist(), found.lons.tolist(), strict=True), strict=True))
        == fresh
    )


@pytest.mark.redis
def test_get_returns_the_exact_point_accuracy_and_time(store):
    fix = _fix(7, 35.7746911234, 114.2403405678)
    store.put(fix)

    found = store.get(7)

    assert found is not None
    assert (found.lat, found.lon, found.accuracy_m) == (fix.lat, fix.lon, 12.5)
    assert abs((found.at - fix.at).total_seconds()) < 0.001


@pytest.mark.redis
def test_a_new_fix_replaces_the_old_one(store):
    store.put(_fix(1, *JINSHAN))
    store.put(_fix(1, JINSHAN[0] + 0.1, JINSHAN[1]))

    near_old = store.near(lat=JINSHAN[0], lon=JINSHAN[1], radius_m=500, fresh_after=timezone.now() - FRESH_FOR)

    assert len(near_old) == 0
    assert store.get(1).lat == JINSHAN[0] + 0.1


@pytest.mark.redis
def test_remove_forgets_a_person_everywhere(store):
    store.put(_fix(1, *JINSHAN))

    store.remove(1)

    assert store.get(1) is None
    assert len(store.near(lat=JINSHAN[0], lon=JINSHAN[1], radius_m=500, fresh_after=timezone.now() - FRESH_FOR)) == 0
    assert store.fresh(fresh_after=timezone.now() - FRESH_FOR) == []


@pytest.mark.redis
def test_fresh_lists_only_fixes_newer_than_the_cutoff(store):
    store.put(_fix(1, *JINSHAN))
    store.put(_fix(2, *JINSHAN, age_s=3600))

    assert [f.person_id for f in store.fresh(fresh_after=timezone.now() - FRESH_FOR)] == [1]


@pytest.mark.redis
def test_prune_forgets_only_stale_fixes(store):
    store.put(_fix(1, *JINSHAN))
    store.put(_fix(2, *JINSHAN, age_s=3600))

    assert store.prune(before=timezone.now() - FRESH_FOR) == 1
    assert store.get(2) is None
    assert store.get(1) is not None
    # Gone from the geo index too: a search that would accept any age finds only the fresh one.
    found = store.near(lat=JINSHAN[0], lon=JINSHAN[1], radius_m=100, fresh_after=datetime(2000, 1, 1, tzinfo=UTC))
    assert found.person_ids.tolist() == [1]


def test_every_call_raises_positions_unavailable_while_redis_cannot_be_reached():
    store = RedisGeoStore(f"redis://127.0.0.1:{closed_port()}/0", prefix="zq-down")
    fix = _fix(1, *JINSHAN)
    fresh_after = timezone.now() - FRESH_FOR
    calls = {
        "put": lambda: store.put(fix),
        "put_many": lambda: store.put_many([fix]),
        "remove": lambda: store.remove(1),
        "get": lambda: store.get(1),
        "near": lambda: store.near(lat=JINSHAN[0], lon=JINSHAN[1], radius_m=1000, fresh_after=fresh_after),
        "fresh": lambda: store.fresh(fresh_after=fresh_after),
        "prune": lambda: store.prune(before=fresh_after),
        "clear": store.clear,
    }
    raised = {}
    for name, call in calls.items():
        with pytest.raises(PositionsUnavailable) as caught:
            call()
        raised[name] = (caught.value.status, caught.value.code, caught.value.retry_after_s)

    assert raised == {name: (503, "positions_unavailable", 5) for name in calls}
