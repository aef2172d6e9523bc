"""The demo's simulated duty: seeded members on duty near home, demo logins left alone."""

from __future__ import annotations

import pytest
from django.utils import timezone
from geopy.distance import geodesic

from core.demo_activity import DEMO_SHARE, WANDER_M, demo_activity_tick
from core.models import DutyStatus
from core.positions import positions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_positions():
    positions().clear()
    yield
    positions().clear()


def test_every_nth_seeded_member_goes_on_duty_near_home_and_demo_logins_do_not(make_person) -> None:
    seeded = [make_person(user__username=f"vol{n:04d}") for n in range(1, 2 * DEMO_SHARE + 1)]
    login = make_person(user__username="volunteer_demo")
    chosen = {p.pk for p in seeded if p.pk % DEMO_SHARE == 0}

    handled = demo_activity_tick(timezone.now())

    assert handled == len(chosen) == 2
    assert set(DutyStatus.objects.filter(on_duty=True).values_list("person_id", flat=True)) == chosen
    assert positions().get(login.pk) is None
    for person in seeded:
        fix = positions().get(person.pk)
        if person.pk not in chosen:
            assert fix is None
            continue
        assert fix is not None
        home = person.home_area
        assert geodesic((fix.lat, fix.lon), (home.lat, home.lon)).m <= WANDER_M + 200


def test_a_later_tick_moves_people_and_puts_back_on_duty_whoever_went_off(make_person) -> None:
    people = [make_person(user__username=f"lia{n:04d}") for n in range(1, DEMO_SHARE + 1)]
    chosen = next(p for p in people if p.pk % DEMO_SHARE == 0)
    start = timezone.now()
    demo_activity_tick(start)
    first = positions().get(chosen.pk)
    DutyStatus.objects.filter(person=chosen).update(on_duty=False)

    demo_activity_tick(start + timezone.timedelta(minutes=10))

    later = positions().get(chosen.pk)
    assert DutyStatus.objects.get(person=chosen).on_duty
    assert first is not None
    assert later is not None
    assert (later.lat, later.lon) != (first.lat, first.lon)
    assert later.at > first.at
