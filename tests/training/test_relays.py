from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import Area
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN
from tests.training.conftest import T0, create_session, events_of
from training.models import Relay, Venue
from training.services.relays import relay_deadlines_due

pytestmark = pytest.mark.django_db

CITY = "410600"


@pytest.fixture
def city_training(clock, make_person, login, session_body):
    """A city training for everyone, with a volunteer in a township of every county and each county's coordinator."""
    counties = list(Area.objects.filter(level="county").values_list("code", flat=True))
    coordinators = {code: make_person("county_coordinator", code) for code in counties}
    for code in counties:
        make_person("volunteer", Area.objects.filter(parent_id=code).order_by("code").first().code)
    host = make_person("city_admin", CITY)
    deadline = T0 + timedelta(hours=2)
    created = create_session(login(host), session_body(relay_deadline=deadline.isoformat()))
    return {"id": created["id"], "host": host, "coordinators": coordinators, "counties": counties, "deadline": deadline}


def test_a_city_session_is_relayed_to_every_county_and_each_coordinator_is_asked_for_a_receipt(city_training):
    assert sorted(Relay.objects.filter(session_id=city_training["id"]).values_list("area_id", flat=True)) == sorted(
        city_training["counties"]
    )
    for code, person in city_training["coordinators"].items():
        assert [e["area_code"] for e in events_of(person, "session.relayed")] == [code]
    rooms = dict(Venue.objects.filter(session_id=city_training["id"]).values_list("area_id", "contact_name"))
    assert rooms == {"410600": "", **{code: p.name for code, p in city_training["coordinators"].items()}}


def test_unconfirmed_counties_are_flagged_after_the_deadline_and_the_city_host_is_told_once(
    city_training, clock, login
):
    qixian = city_training["coordinators"][QIXIAN]
    confirmed = login(qixian).post(f"/api/v1/sessions/{city_training['id']}/relays/{QIXIAN}/confirm", {})
    assert confirmed.status_code == 200, confirmed.content

    clock.set(city_training["deadline"] + timedelta(minutes=1))
    first = relay_deadlines_due(now=clock.at)
    second = relay_deadlines_due(now=clock.at)

    others = sorted(c for c in city_training["counties"] if c != QIXIAN)
    county_relays = Relay.objects.filter(session_id=city_training["id"], parent__isnull=True)
    assert sorted(county_relays.filter(overdue_at__isnull=False).values_list("area_id", flat=True)) == others
    assert county_relays.get(area_id=QIXIAN).overdue_at is None
    assert (first, second) == (1, 0)
    assert [e["area_codes"] for e in events_of(city_training["host"], "session.relay_overdue")] == [others]


def test_confirming_a_county_relays_on_to_its_townships_and_adds_local_venues(city_training, login):
    qixian = city_training["coordinators"][QIXIAN]

    response = login(qixian).post(
        f"/api/v1/sessions/{city_training['id']}/relays/{QIXIAN}/confirm",
        {"venues": [{"area_code": QIXIAN_TOWNSHIP, "name": "高村镇会议室", "contact_name": "王"}]},
    )

    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    townships = Relay.objects.filter(session_id=city_training["id"], parent__area_id=QIXIAN)
    assert sorted(townships.values_list("area_id", flat=True)) == sorted(
        {Area.objects.filter(parent_id=QIXIAN).order_by("code").first().code}
    )
    detail = login(city_training["host"]).get(f"/api/v1/sessions/{city_training['id']}").json()
    assert "高村镇会议室" in [v["name"] for v in detail["venues"]]


def test_only_the_units_own_coordinator_confirms_and_only_once(city_training, login, make_person):
    qixian = login(city_training["coordinators"][QIXIAN])
    url = f"/api/v1/sessions/{city_training['id']}/relays/{{}}/confirm"

    wrong_county = qixian.post(url.format(XUNXIAN), {})
    by_host = login(city_training["host"]).post(url.format(QIXIAN), {})
    first = qixian.post(url.format(QIXIAN), {})
    again = qixian.post(url.format(QIXIAN), {})

    assert wrong_county.status_code == 404
    assert (by_host.status_code, by_host.json()["code"]) == (403, "not_unit_coordinator")
    assert first.status_code == 200
    assert (again.status_code, again.json()["code"]) == (409, "already_confirmed")


def test_the_host_sees_which_units_confirmed(city_training, login):
    login(city_training["coordinators"][QIXIAN]).post(
        f"/api/v1/sessions/{city_training['id']}/relays/{QIXIAN}/confirm", {}
    )

    relays = login(city_training["host"]).get(f"/api/v1/sessions/{city_training['id']}/relays").json()

    assert {r["area_code"]: r["status"] for r in relays if r["parent_area_code"] is None} == {
        code: "confirmed" if code == QIXIAN else "pending" for code in city_training["counties"]
    }
