from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from core.jobs import registered
from core.models import DutyStatus
from core.positions import Fix, positions
from dispatch.jobs import prune_stale_positions
from tests.conftest import QIBIN_TOWNSHIP


def test_dispatch_registers_its_three_periodic_jobs():
    assert {"dispatch.escalate", "dispatch.expire", "dispatch.prune_positions"} <= set(registered())


def test_stale_positions_and_those_of_people_off_duty_are_pruned_and_fresh_ones_on_duty_kept(make_person):
    now = timezone.now()
    stale, on, off = (make_person("volunteer", QIBIN_TOWNSHIP) for _ in range(3))
    for person in (stale, on):
        DutyStatus.objects.create(person=person, on_duty=True, changed_at=now)
    DutyStatus.objects.create(person=off, on_duty=False, changed_at=now)  # its removal failed (Redis was away)
    positions().put(Fix(person_id=stale.pk, lat=35.77, lon=114.24, accuracy_m=5.0, at=now - timedelta(minutes=11)))
    positions().put(Fix(person_id=on.pk, lat=35.77, lon=114.24, accuracy_m=5.0, at=now - timedelta(minutes=2)))
    positions().put(Fix(person_id=off.pk, lat=35.77, lon=114.24, accuracy_m=5.0, at=now - timedelta(minutes=2)))

    assert prune_stale_positions(now) == 2
    assert positions().get(stale.pk) is None
    assert positions().get(off.pk) is None
    assert positions().get(on.pk) is not None
