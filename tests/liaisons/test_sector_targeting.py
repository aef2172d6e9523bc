from __future__ import annotations

import pytest

from liaisons.models import Liaison, Sector
from liaisons.selectors import people_in_sectors
from tests.conftest import QIBIN_TOWNSHIP

pytestmark = pytest.mark.django_db


def test_people_in_sectors_keeps_active_liaisons_of_those_sectors(make_person):
    rider = make_person("liaison", QIBIN_TOWNSHIP)
    nurse = make_person("liaison", QIBIN_TOWNSHIP)
    retired = make_person("liaison", QIBIN_TOWNSHIP, is_active=False)
    Liaison.objects.create(person=rider, sector=Sector.objects.get(code="food_delivery"))
    Liaison.objects.create(person=nurse, sector=Sector.objects.get(code="hospital"))
    Liaison.objects.create(person=retired, sector=Sector.objects.get(code="food_delivery"))

    assert list(people_in_sectors(sectors=["food_delivery"]).values_list("pk", flat=True)) == [rider.pk]
    assert set(people_in_sectors(sectors=["food_delivery", "hospital"]).values_list("pk", flat=True)) == {
        rider.pk,
        nurse.pk,
    }


def test_liaisons_matching_is_one_subquery_dispatch_can_filter_people_by(make_person, django_assert_num_queries):
    from core.models import Person
    from liaisons.selectors import liaisons_matching

    rider = make_person("liaison", QIBIN_TOWNSHIP)
    Liaison.objects.create(person=rider, sector=Sector.objects.get(code="food_delivery"))
    Liaison.objects.create(person=make_person("liaison", QIBIN_TOWNSHIP), sector=Sector.objects.get(code="school"))

    with django_assert_num_queries(1):
        found = list(
            Person.objects.filter(
                pk__in=liaisons_matching(sectors=["food_delivery"], area_prefixes=["410611"]).values("person_id")
            ).values_list("pk", flat=True)
        )

    assert found == [rider.pk]
    assert not liaisons_matching(sectors=[], area_prefixes=[]).exists()
