from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.models import Area
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN
from tests.training.conftest import T0, create_session, events_of
from training.models import Relay, Session, Venue
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

    relays = login(city_training["host"]).get(f"/api/v1/sessions/{city_training['id']}/relays").json()["items"]

    assert {r["area_code"]: r["status"] for r in relays if r["parent_area_code"] is None} == {
        code: "confirmed" if code == QIXIAN else "pending" for code in city_training["counties"]
    }


@pytest.fixture
def two_qixian_townships(clock, make_person, login, session_body):
    """A city training reaching two 淇县 townships (one volunteer in each), with every coordinator on the way."""
    townships = list(Area.objects.filter(parent_id=QIXIAN).order_by("code").values_list("code", flat=True)[:2])
    for code in townships:
        make_person("volunteer", code)
    county = make_person("county_coordinator", QIXIAN)
    township_coordinators = {code: make_person("township_coordinator", code) for code in townships}
    host = make_person("city_admin", CITY)
    deadline = T0 + timedelta(hours=2)
    created = create_session(login(host), session_body(relay_deadline=deadline.isoformat()))
    return {
        "id": created["id"],
        "host": host,
        "county": county,
        "townships": townships,
        "township_coordinators": township_coordinators,
        "deadline": deadline,
    }


def confirm(login, person, session_id, area_code):
    response = login(person).post(f"/api/v1/sessions/{session_id}/relays/{area_code}/confirm", {})
    assert response.status_code == 200, response.content
    return response.json()


def test_townships_reached_after_the_deadline_get_a_grace_and_the_county_hears_about_the_unconfirmed_once(
    two_qixian_townships, clock, login, settings
):
    given = two_qixian_townships
    settings.TRAINING_LATE_RELAY_GRACE_MIN = 45
    first_township, second_township = given["townships"]
    clock.set(given["deadline"] + timedelta(minutes=1))
    at_deadline = relay_deadlines_due(now=clock.at)

    clock.advance(minutes=30)
    confirm(login, given["county"], given["id"], QIXIAN)
    late_due = clock.at + timedelta(minutes=45)
    townships = Relay.objects.filter(session_id=given["id"], parent__area_id=QIXIAN)
    clock.advance(minutes=10)
    confirm(login, given["township_coordinators"][first_township], given["id"], first_township)
    before_due = relay_deadlines_due(now=late_due - timedelta(seconds=1))
    clock.set(late_due)
    runs = (relay_deadlines_due(now=clock.at), relay_deadlines_due(now=clock.at))

    assert at_deadline == 1
    assert sorted(townships.values_list("area_id", "due_at")) == [(code, late_due) for code in given["townships"]]
    relayed = events_of(given["township_coordinators"][second_township], "session.relayed")
    # Passed down when the county confirmed (45 minutes before its late deadline), and it says so.
    assert [(datetime.fromisoformat(e["deadline"]), datetime.fromisoformat(e["at"])) for e in relayed] == [
        (late_due, late_due - timedelta(minutes=45))
    ]
    assert (before_due, runs) == (0, (1, 0))
    assert list(townships.filter(overdue_at__isnull=False).values_list("area_id", flat=True)) == [second_township]
    assert [
        (e["area_codes"], datetime.fromisoformat(e["at"])) for e in events_of(given["county"], "session.relay_overdue")
    ] == [([second_township], late_due)]
    assert [e["area_codes"] for e in events_of(given["host"], "session.relay_overdue")] == [[QIXIAN]]
    listed = login(given["county"]).get(f"/api/v1/sessions/{given['id']}/relays").json()["items"]
    assert {r["area_code"]: r["overdue"] for r in listed if r["parent_area_code"] == QIXIAN} == {
        first_township: False,
        second_township: True,
    }


def test_a_unit_that_confirms_before_its_due_time_is_never_flagged(two_qixian_townships, clock, login):
    given = two_qixian_townships
    confirm(login, given["county"], given["id"], QIXIAN)
    for code in given["townships"]:
        confirm(login, given["township_coordinators"][code], given["id"], code)

    runs = [relay_deadlines_due(now=given["deadline"] + timedelta(days=d)) for d in (0, 1)]

    assert set(Relay.objects.filter(session_id=given["id"]).values_list("due_at", flat=True)) == {given["deadline"]}
    assert runs == [0, 0]
    assert not Relay.objects.filter(session_id=given["id"], overdue_at__isnull=False).exists()
    assert events_of(given["county"], "session.relay_overdue") == []
    assert events_of(given["host"], "session.relay_overdue") == []


def test_a_late_relay_is_never_due_after_the_start_and_cancelled_sessions_flag_nobody(
    two_qixian_townships, clock, login, session_body, settings
):
    given = two_qixian_townships
    start = Session.objects.get(pk=given["id"]).start
    settings.TRAINING_LATE_RELAY_GRACE_MIN = 24 * 60
    clock.set(start - timedelta(minutes=20))
    confirm(login, given["county"], given["id"], QIXIAN)
    login(given["host"]).post(f"/api/v1/sessions/{given['id']}/cancel", {"reason": ""})

    flagged = relay_deadlines_due(now=start)

    assert set(
        Relay.objects.filter(session_id=given["id"], parent__area_id=QIXIAN).values_list("due_at", flat=True)
    ) == {start}
    assert flagged == 0
    assert events_of(given["county"], "session.relay_overdue") == []


def test_moving_the_start_before_the_receipt_deadline_brings_the_deadline_and_pending_receipts_with_it(
    city_training, login
):
    # Receipts are due by the deadline, never after the start (training.services.relays).
    host = login(city_training["host"])
    confirm(login, city_training["coordinators"][QIXIAN], city_training["id"], QIXIAN)
    new_start = city_training["deadline"] - timedelta(hours=1)

    moved = host.patch(
        f"/api/v1/sessions/{city_training['id']}",
        {"start": new_start.isoformat(), "end": (new_start + timedelta(hours=2)).isoformat()},
    )

    assert moved.status_code == 200, moved.content
    relays = Relay.objects.filter(session_id=city_training["id"])
    assert set(relays.exclude(area_id=QIXIAN).values_list("due_at", flat=True)) == {new_start}
    assert relays.get(area_id=QIXIAN).due_at == city_training["deadline"]  # confirmed: left as it was
    assert Session.objects.get(pk=city_training["id"]).relay_deadline == new_start

    later = new_start + timedelta(days=1)
    host.patch(
        f"/api/v1/sessions/{city_training['id']}",
        {"start": later.isoformat(), "end": (later + timedelta(hours=2)).isoformat()},
    )
    assert set(relays.exclude(area_id=QIXIAN).values_list("due_at", flat=True)) == {new_start}


def test_the_relays_come_a_page_at_a_time(city_training, login):
    host = login(city_training["host"])
    url = f"/api/v1/sessions/{city_training['id']}/relays"

    whole = host.get(url).json()
    page = host.get(url, limit=2, offset=1).json()

    assert (whole["count"], len(whole["items"])) == (len(city_training["counties"]), len(city_training["counties"]))
    assert page == {"items": whole["items"][1:3], "count": whole["count"]}
