"""Who a session invites: areas, teams and sectors add up, roles narrow, the host is never invited.

Sector membership is the liaisons app's real data, reached through core's sector seam.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.models import Person
from liaisons.models import Liaison, Sector
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN_TOWNSHIP
from tests.training.conftest import create_session
from training.models import Attendance

pytestmark = pytest.mark.django_db

QIXIAN_OTHER_TOWNSHIP = "410622102"


@pytest.fixture
def liaison(make_person: Callable[..., Person]) -> Callable[..., Person]:
    def make(sector: str, area_code: str = QIXIAN_TOWNSHIP, **kw: Any) -> Person:
        person = make_person("liaison", area_code, **kw)
        Liaison.objects.create(person=person, sector_id=sector)
        return person

    return make


def invited(session_id: int) -> list[tuple[int, str]]:
    return list(
        Attendance.objects.filter(session_id=session_id).order_by("person_id").values_list("person_id", "sector")
    )


def test_a_food_delivery_training_invites_exactly_the_food_delivery_liaisons_in_the_hosts_jurisdiction(
    clock, make_person, liaison, login, session_body
):
    host = make_person("county_coordinator", QIXIAN)
    rider = liaison("food_delivery")
    other_rider = liaison("food_delivery", QIXIAN_OTHER_TOWNSHIP)
    liaison("food_delivery", XUNXIAN_TOWNSHIP)  # another county
    liaison("food_delivery", is_active=False)
    liaison("hospital")
    make_person("volunteer", QIXIAN_TOWNSHIP)

    created = create_session(login(host), session_body(sectors=["food_delivery"]))

    assert (created["sectors"], created["invitees"]) == (["food_delivery"], 2)
    assert invited(created["id"]) == [(rider.pk, "food_delivery"), (other_rider.pk, "food_delivery")]


def test_a_liaison_who_joins_the_sector_is_invited_to_the_next_session_without_a_restart(
    clock, make_person, liaison, login, session_body
):
    host = login(make_person("county_coordinator", QIXIAN))
    first_rider = liaison("food_delivery")
    before = create_session(host, session_body(sectors=["food_delivery"]))

    new_rider = liaison("food_delivery")
    after = create_session(host, session_body(sectors=["food_delivery"]))

    assert invited(before["id"]) == [(first_rider.pk, "food_delivery")]
    assert invited(after["id"]) == [(first_rider.pk, "food_delivery"), (new_rider.pk, "food_delivery")]


def test_liaisons_invited_by_area_carry_their_sector_onto_attendance_and_volunteers_none(
    clock, make_person, liaison, login, session_body
):
    host = make_person("county_coordinator", QIXIAN)
    courier = liaison("express")
    volunteer = make_person("volunteer", QIXIAN_TOWNSHIP)

    created = create_session(login(host), session_body(area_codes=[QIXIAN_TOWNSHIP]))

    assert invited(created["id"]) == [(courier.pk, "express"), (volunteer.pk, "")]


def test_a_sector_added_to_the_liaisons_app_can_be_invited_and_an_unknown_one_is_refused(
    clock, make_person, liaison, login, session_body
):
    host = login(make_person("county_coordinator", QIXIAN))
    Sector.objects.create(code="taxi", name_zh="出租车行业", name_en="Taxi", order=9)
    driver = liaison("taxi")

    created = create_session(host, session_body(sectors=["taxi"]))
    refused = host.post("/api/v1/sessions", session_body(sectors=["astronauts"]))

    assert invited(created["id"]) == [(driver.pk, "taxi")]
    assert (refused.status_code, refused.json()["code"]) == (422, "unknown_sector")


def test_a_sector_with_nobody_in_the_jurisdiction_is_an_empty_audience(
    clock, make_person, liaison, login, session_body
):
    host = make_person("county_coordinator", QIXIAN)
    liaison("school", XUNXIAN_TOWNSHIP)

    response = login(host).post("/api/v1/sessions", session_body(sectors=["school"]))

    assert (response.status_code, response.json()["code"]) == (422, "empty_audience")
    assert not Attendance.objects.exists()


def test_the_host_is_never_invited_to_their_own_session(clock, make_person, login, session_body):
    host = make_person("county_coordinator", QIXIAN, home=QIXIAN_TOWNSHIP)
    volunteer = make_person("volunteer", QIXIAN_TOWNSHIP)

    created = create_session(login(host), session_body(area_codes=[QIXIAN_TOWNSHIP]))

    assert list(Attendance.objects.filter(session_id=created["id"]).values_list("person_id", flat=True)) == [
        volunteer.pk
    ]
