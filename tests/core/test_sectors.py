"""core.sectors: the seam through which training learns sector membership without importing liaisons."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from core import sectors
from core.models import Person
from liaisons.models import Liaison
from liaisons.selectors import LiaisonSectors
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN_TOWNSHIP

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_provider() -> Iterator[None]:
    installed = sectors.sector_provider()
    sectors.register_sector_provider(None)
    yield
    sectors.register_sector_provider(installed)


def test_the_liaisons_app_registers_its_provider_when_django_starts() -> None:
    assert isinstance(sectors.sector_provider(), LiaisonSectors)
    assert sectors.sector_codes()[:3] == ["transit", "sanitation", "city_management"]


def test_members_are_read_from_the_database_on_every_call_and_scoped_to_the_prefixes(
    make_person: Callable[..., Person],
) -> None:
    rider = make_person("liaison", QIXIAN_TOWNSHIP)
    Liaison.objects.create(person=rider, sector_id="food_delivery")
    before = sectors.sector_members(sectors=["food_delivery"], within=[QIXIAN])
    nurse = make_person("liaison", QIXIAN_TOWNSHIP)
    Liaison.objects.create(person=nurse, sector_id="hospital")
    Liaison.objects.create(person=make_person("liaison", XUNXIAN_TOWNSHIP), sector_id="food_delivery")

    assert before == {rider.pk: "food_delivery"}
    assert sectors.sector_members(sectors=None, within=[QIXIAN]) == {rider.pk: "food_delivery", nurse.pk: "hospital"}
    assert sectors.sector_members(sectors=[], within=[QIXIAN]) == {}
    assert sectors.sector_members(sectors=None, within=[]) == {}


def test_without_a_provider_there_are_no_sectors_and_nobody_is_in_one(
    no_provider: None, make_person: Callable[..., Person]
) -> None:
    Liaison.objects.create(person=make_person("liaison", QIXIAN_TOWNSHIP), sector_id="food_delivery")

    assert sectors.sector_codes() == []
    assert sectors.sector_members(sectors=None, within=[QIXIAN]) == {}
