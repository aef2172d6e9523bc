"""The demo seed hook: liaison profiles, employers, shifts and stations for a (small) population."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.apps import apps

from core.demo import DemoPerson, DemoPopulation
from core.models import Person
from liaisons.models import Employer, Liaison, Station

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_demo_liaisons_profiles_shifts_and_stations(make_person: Callable[..., Person]) -> None:
    population = DemoPopulation()
    for township, sector in [("410622101", "food_delivery"), ("410622101", "school"), ("410611001", "hospital")]:
        person = make_person("liaison", township)
        population.liaisons.append(
            DemoPerson(
                username=person.user.username,
                name=person.name,
                phone=person.phone,
                id_number="",
                area_code=township,
                lat=0.0,
                lon=0.0,
                role="liaison",
                sector=sector,
            )
        )

    apps.get_app_config("liaisons").seed_demo(population)  # type: ignore[attr-defined]

    rider = Liaison.objects.get(sector_id="food_delivery")
    assert rider.effective_shifts() == ["10:00-14:00", "17:00-21:00"]
    assert rider.employer is not None
    assert rider.employer.area_id == "410622"
    assert list(rider.work_areas.values_list("code", flat=True)) == ["410622102"]  # the next township too
    assert Liaison.objects.count() == 3
    assert Employer.objects.count() == 6 * 8 * 2
    assert Station.objects.count() == 48
    gaocun = Station.objects.get(area_id="410622101")
    assert gaocun.head_id == rider.person_id
    assert gaocun.liaisons.count() == 2
    assert Liaison.objects.get(sector_id="school").work_areas.count() == 0
