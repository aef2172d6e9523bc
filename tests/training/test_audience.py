"""Who a session invites: areas, teams and sectors add up, roles narrow, the host is never invited."""

from __future__ import annotations

import pytest

from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP
from tests.training.conftest import create_session
from training import selectors
from training.models import Attendance

pytestmark = pytest.mark.django_db

MEMBERS: dict[int, str] = {}


def fake_sector_lookup(sectors: list[str] | None) -> dict[int, str]:
    """Stands in for the liaisons app's lookup (the seam ZHENGQI_SECTOR_LOOKUP names)."""
    return {pid: s for pid, s in MEMBERS.items() if sectors is None or s in sectors}


@pytest.fixture
def sector_lookup(settings):
    settings.TRAINING_SECTOR_LOOKUP = "tests.training.test_audience.fake_sector_lookup"
    selectors._sector_lookup.cache_clear()
    yield MEMBERS
    MEMBERS.clear()
    selectors._sector_lookup.cache_clear()


def test_a_sector_audience_comes_from_the_sector_lookup_and_is_copied_onto_attendance(
    clock, make_person, login, session_body, sector_lookup
):
    host = make_person("county_coordinator", QIXIAN)
    courier = make_person("liaison", QIXIAN_TOWNSHIP)
    nurse = make_person("liaison", QIXIAN_TOWNSHIP)
    sector_lookup.update({courier.pk: "express", nurse.pk: "hospital"})

    created = create_session(login(host), session_body(sectors=["express"]))

    assert created["sectors"] == ["express"]
    assert list(Attendance.objects.filter(session_id=created["id"]).values_list("person_id", "sector")) == [
        (courier.pk, "express")
    ]


def test_without_a_sector_lookup_a_sector_only_audience_is_empty(clock, make_person, login, session_body):
    host = make_person("county_coordinator", QIXIAN)
    make_person("liaison", QIXIAN_TOWNSHIP)

    response = login(host).post("/api/v1/sessions", session_body(sectors=["express"]))

    assert (response.status_code, response.json()["code"]) == (422, "empty_audience")


def test_the_host_is_never_invited_to_their_own_session(clock, make_person, login, session_body):
    host = make_person("county_coordinator", QIXIAN, home=QIXIAN_TOWNSHIP)
    volunteer = make_person("volunteer", QIXIAN_TOWNSHIP)

    created = create_session(login(host), session_body(area_codes=[QIXIAN_TOWNSHIP]))

    assert list(Attendance.objects.filter(session_id=created["id"]).values_list("person_id", flat=True)) == [
        volunteer.pk
    ]
