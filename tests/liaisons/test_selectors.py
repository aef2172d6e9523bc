"""liaison_person_ids: sector and "on shift now" targeting for dispatch; the scoped liaison list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time

import pytest

from core.models import Person
from liaisons.models import Liaison, ShiftWindow
from liaisons.selectors import SHANGHAI, liaison_list, liaison_person_ids
from tests.conftest import QIXIAN, ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_liaison(make_person: Callable[..., Person]) -> Callable[..., Liaison]:
    def make(sector: str, township: str, *shifts: tuple[int, int], work: tuple[str, ...] = ()) -> Liaison:
        liaison = Liaison.objects.create(person=make_person("liaison", township), sector_id=sector)
        liaison.work_areas.add(*work)
        for start, end in shifts:
            ShiftWindow.objects.create(liaison=liaison, starts=time(start), ends=time(end))
        return liaison

    return make


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 1, hour, minute, tzinfo=SHANGHAI)


def test_riders_on_shift_in_two_townships_are_targeted_and_no_one_else(make_liaison: Callable[..., Liaison]) -> None:
    gaocun = make_liaison("food_delivery", "410622101", (10, 14), (17, 21))
    beiyang = make_liaison("food_delivery", "410622102", (10, 14))
    make_liaison("food_delivery", "410622103", (10, 14))  # another township
    make_liaison("express", "410622101", (10, 14))  # another sector
    make_liaison("food_delivery", "410622101", (17, 21))  # not on shift at noon

    found = liaison_person_ids(sectors=["food_delivery"], area_prefixes=["410622101", "410622102"], on_shift_at=_at(12))

    assert found == {gaocun.person_id, beiyang.person_id}


def test_on_shift_reads_the_instant_in_shanghai_time(make_liaison: Callable[..., Liaison]) -> None:
    rider = make_liaison("food_delivery", "410622101", (10, 14))
    utc_noon_in_shanghai = datetime.fromisoformat("2026-12-01T04:00:00+00:00")  # 12:00 in Shanghai

    assert liaison_person_ids(sectors=["food_delivery"], on_shift_at=utc_noon_in_shanghai) == {rider.person_id}
    assert liaison_person_ids(sectors=["food_delivery"], on_shift_at=_at(14)) == set()  # the end is exclusive


def test_a_night_shift_wraps_midnight(make_liaison: Callable[..., Liaison]) -> None:
    nurse = make_liaison("hospital", "410622001", (20, 8))

    assert liaison_person_ids(sectors=["hospital"], on_shift_at=_at(23, 30)) == {nurse.person_id}
    assert liaison_person_ids(sectors=["hospital"], on_shift_at=_at(3)) == {nurse.person_id}
    assert liaison_person_ids(sectors=["hospital"], on_shift_at=_at(12)) == set()


def test_without_shifts_of_their_own_a_liaison_works_their_sectors_usual_hours(
    make_liaison: Callable[..., Liaison],
) -> None:
    rider = make_liaison("food_delivery", "410622101")  # the sector's 10:00-14:00 and 17:00-21:00

    assert liaison_person_ids(sectors=["food_delivery"], on_shift_at=_at(18)) == {rider.person_id}
    assert liaison_person_ids(sectors=["food_delivery"], on_shift_at=_at(15)) == set()


def test_a_work_area_counts_like_home_and_an_empty_sector_list_means_every_sector(
    make_liaison: Callable[..., Liaison],
) -> None:
    roaming = make_liaison("express", "410622101", work=("410622202",))
    cleaner = make_liaison("sanitation", "410622202")

    assert liaison_person_ids(sectors=[], area_prefixes=["410622202"]) == {roaming.person_id, cleaner.person_id}
    assert liaison_person_ids(sectors=["express"], area_prefixes=[]) == set()


def test_inactive_liaisons_are_never_targeted(make_liaison: Callable[..., Liaison]) -> None:
    gone = make_liaison("school", "410622101")
    Person.objects.filter(pk=gone.person_id).update(is_active=False)

    assert liaison_person_ids(sectors=["school"]) == set()


def test_the_liaison_list_is_scoped_to_the_actors_county(
    make_liaison: Callable[..., Liaison], make_person: Callable[..., Person]
) -> None:
    mine = make_liaison("school", "410622101")
    make_liaison("school", "410621101")
    actor = make_person("county_coordinator", QIXIAN)

    assert [liaison.pk for liaison in liaison_list(actor=actor.user)] == [mine.pk]


def test_the_liaison_list_takes_on_shift_at_with_a_zone_and_refuses_one_without(
    make_liaison: Callable[..., Liaison], as_role: Callable[..., ApiClient]
) -> None:
    rider = make_liaison("food_delivery", "410622101", (10, 14))
    county = as_role("county_coordinator", QIXIAN)

    at_noon = county.get("/api/v1/liaisons", on_shift_at=_at(12).isoformat())
    naive = county.get("/api/v1/liaisons", on_shift_at="2026-12-01T12:00:00")

    assert [item["person_id"] for item in at_noon.json()["items"]] == [rider.person_id]
    assert (naive.status_code, naive.json()["code"]) == (422, "invalid_input")
