from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from core.jobs import registered
from core.positions import Fix, positions
from dispatch.jobs import prune_stale_positions


def test_dispatch_registers_its_three_periodic_jobs():
    assert {"dispatch.escalate", "dispatch.expire", "dispatch.prune_positions"} <= set(registered())


def test_stale_positions_are_pruned_and_fresh_ones_kept():
    now = timezone.now()
    positions().put(Fix(person_id=1, lat=35.77, lon=114.24, accuracy_m=5.0, at=now - timedelta(minutes=11)))
    positions().put(Fix(person_id=2, lat=35.77, lon=114.24, accuracy_m=5.0, at=now - timedelta(minutes=2)))

    assert prune_stale_positions(now) == 1
    assert positions().get(1) is None
    assert positions().get(2) is not None
