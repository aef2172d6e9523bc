"""Simulated duty for `make demo` (ZHENGQI_DEMO_ACTIVITY): seeded members on duty, moving about.

With the embedded default, live positions are kept in the server process, so the seed
(another process) cannot leave anyone on the map. This job keeps every DEMO_SHARE-th seeded
member (usernames vol0001…, lia0001…) on duty with a fresh fix near their home township
centre, taking a small random step at each tick, so that the coverage map and alerts have
people to show. The contract's demo logins are left alone: whoever signs in as
`volunteer_demo` decides for themselves. Never on in production (settings refuses it).
"""

from __future__ import annotations

import math
import random
from datetime import datetime

from django.db.models import F
from django.db.models.functions import Mod

from core.models import DutyStatus, Person
from core.positions import Fix, positions

DEMO_SHARE = 8  # ~620 of the 4,976 seeded members
SEEDED = r"^(vol|lia)[0-9]{4}$"
WANDER_M = 1500.0  # how far from the township centre a simulated member strays
_M_PER_DEG_LAT = 111_320.0


def demo_people() -> list[tuple[int, float, float]]:
    """(person id, home township centre lat, lon) of the simulated members."""
    rows = (
        Person.objects.filter(user__username__regex=SEEDED, is_active=True)
        .annotate(bucket=Mod(F("pk"), DEMO_SHARE))
        .filter(bucket=0)
        .values_list("pk", "home_area__lat", "home_area__lon")
    )
    return [(pk, lat, lon) for pk, lat, lon in rows]


def _position(person_id: int, lat: float, lon: float, tick: int) -> tuple[float, float]:
    # Deterministic per person and tick: a point on a slow circle around a personal anchor.
    rng = random.Random(person_id)  # noqa: S311 (a simulation, not a secret)
    anchor_r, anchor_a = WANDER_M * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    step_a = anchor_a + tick * rng.uniform(0.05, 0.2)
    north = anchor_r * math.sin(anchor_a) + 150 * math.sin(step_a)
    east = anchor_r * math.cos(anchor_a) + 150 * math.cos(step_a)
    return lat + north / _M_PER_DEG_LAT, lon + east / (_M_PER_DEG_LAT * math.cos(math.radians(lat)))


TICK_S = 120


def demo_activity_tick(now: datetime) -> int:
    people = demo_people()
    ids = [pk for pk, _, _ in people]
    DutyStatus.objects.bulk_create(
        [DutyStatus(person_id=pk, on_duty=True, changed_at=now) for pk in ids], ignore_conflicts=True
    )
    DutyStatus.objects.filter(person_id__in=ids, on_duty=False).update(on_duty=True, changed_at=now)
    tick = int(now.timestamp() // TICK_S)
    store = positions()
    for pk, lat, lon in people:
        at_lat, at_lon = _position(pk, lat, lon, tick)
        store.put(Fix(person_id=pk, lat=at_lat, lon=at_lon, accuracy_m=20.0, at=now))
    return len(people)
