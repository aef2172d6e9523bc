from __future__ import annotations

import threading
from datetime import timedelta

import prcoords
import pytest
from django.db import connections

from core.models import AuditEntry
from dispatch.models import Alert, Delivery
from dispatch.services import alerts as alert_services
from realtime.models import StreamEvent
from tests.conftest import (
    JINSHAN,
    QIBIN,
    QIBIN_TOWNSHIP,
    QIXIAN,
    QIXIAN_TOWNSHIP,
    XUNXIAN,
    XUNXIAN_TOWNSHIP,
    ApiClient,
    require_postgresql,
)
from tests.dispatch.conftest import QIXIAN_CENTRE, XUNXIAN_CENTRE, point_at
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def _alert(**overrides):
    body = {
        "kind": "injured_person",
        "severity": "severe",
        "title": "老人摔倒",
        "description": "金山街道路口",
        "lat": JINSHAN[0],
        "lon": JINSHAN[1],
        "radius_m": 2000,
        "needed": 2,
    }
    return {**body, **overrides}


def test_a_2_km_alert_reaches_exactly_the_fresh_on_duty_people_within_2_km_nearest_first(as_role, on_duty):
    far = on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=1900, bearing=90))
    near = on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=300, bearing=0))
    middle = on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=1200, bearing=200))
    on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=2100, bearing=45))  # outside
    on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=500), age=timedelta(minutes=11))  # stale
    on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=400), duty=False)  # off duty
    client = as_role("county_coordinator", QIBIN)

    response = client.post("/api/v1/alerts", _alert())

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["recipients"] == 3
    assert body["deliveries"] == {"sent": 3, "delivered": 0, "read": 0}
    assert body["responses"] == {"accepted": 0, "declined": 0, "en_route": 0, "on_scene": 0, "done": 0}
    assert body["status"] == "active"
    assert body["area_code"] == QIBIN_TOWNSHIP
    deliveries = list(Delivery.objects.filter(alert_id=body["id"]).order_by("distance_m"))
    assert [d.person_id for d in deliveries] == [near.pk, middle.pk, far.pk]
    assert [round(d.distance_m) for d in deliveries] == [300, 1200, 1900]
    # Bearing is from the responder towards the alert: the one 300 m north heads south.
    assert round(deliveries[0].bearing_deg) == 180


def test_each_recipient_gets_a_durable_event_with_their_own_distance_bearing_and_nav_links(as_role, on_duty):
    person = on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=800, bearing=270))
    client = as_role("county_coordinator", QIBIN)

    alert_id = client.post("/api/v1/alerts", _alert()).json()["id"]

    event = StreamEvent.objects.get(person=person)
    assert event.type == "alert.created"
    assert event.payload["alert_id"] == alert_id
    assert round(event.payload["distance_m"]) == 800
    assert round(event.payload["bearing_deg"]) == 90
    assert event.payload["nav"]["amap"].startswith("https://uri.amap.com/marker?position=")
    assert "coord_type=bd09ll" in event.payload["nav"]["baidu"]
    assert Delivery.objects.get(person=person).seq == event.seq


def test_raising_an_alert_is_audited(as_role, on_duty):
    on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=100))
    client = as_role("county_coordinator", QIBIN)

    alert_id = client.post("/api/v1/alerts", _alert()).json()["id"]

    entry = AuditEntry.objects.get(action="alert_action")
    assert (entry.object_type, entry.object_id, entry.area_code) == ("alert", str(alert_id), QIBIN_TOWNSHIP)
    assert entry.details == {"action": "create", "recipients": 1, "source": "api"}


def test_a_gcj02_alert_location_is_stored_in_wgs84(as_role):
    amap = prcoords.wgs_gcj(JINSHAN)
    client = as_role("county_coordinator", QIBIN)

    body = client.post("/api/v1/alerts", _alert(lat=amap.lat, lon=amap.lon, datum="gcj02")).json()

    assert abs(body["lat"] - JINSHAN[0]) < 1e-5
    assert abs(body["lon"] - JINSHAN[1]) < 1e-5


def test_recipients_stay_inside_the_raisers_jurisdiction(as_role, on_duty):
    # A 淇滨区 volunteer standing 200 m from a 淇县 alert is not rung by 淇县's coordinator.
    spot = point_at(QIXIAN_CENTRE, metres=10)
    ours = on_duty(QIXIAN_TOWNSHIP, at=point_at(spot, metres=500))
    on_duty(QIBIN_TOWNSHIP, at=point_at(spot, metres=200))
    client = as_role("county_coordinator", QIXIAN)

    body = client.post("/api/v1/alerts", _alert(lat=spot[0], lon=spot[1])).json()

    assert list(Delivery.objects.filter(alert_id=body["id"]).values_list("person_id", flat=True)) == [ours.pk]


def test_a_qixian_coordinator_cannot_raise_an_alert_in_xunxian(as_role):
    client = as_role("county_coordinator", QIXIAN)

    response = client.post("/api/v1/alerts", _alert(lat=XUNXIAN_CENTRE[0], lon=XUNXIAN_CENTRE[1]))

    assert response.status_code == 404
    assert response.json()["code"] == "location_outside_jurisdiction"
    assert not Alert.objects.exists()


def test_a_qixian_coordinator_cannot_target_a_xunxian_team(as_role):
    team = TeamFactory(area_id=XUNXIAN_TOWNSHIP)
    client = as_role("county_coordinator", QIXIAN)

    response = client.post(
        "/api/v1/alerts", _alert(lat=QIXIAN_CENTRE[0], lon=QIXIAN_CENTRE[1], radius_m=None, team_ids=[team.pk])
    )

    assert response.status_code == 404
    assert response.json()["code"] == "unknown_team"
    assert not Alert.objects.exists()


def test_a_qixian_coordinator_cannot_target_a_xunxian_area(as_role):
    client = as_role("county_coordinator", QIXIAN)

    response = client.post("/api/v1/alerts", _alert(lat=None, lon=None, radius_m=None, area_codes=[XUNXIAN]))

    assert response.status_code == 404
    assert response.json()["code"] == "area_outside_jurisdiction"
    assert not Alert.objects.exists()


def test_a_volunteer_cannot_raise_an_alert(as_role):
    response = as_role("volunteer", QIBIN_TOWNSHIP).post("/api/v1/alerts", _alert())

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"lat": 95.0}, 422, "invalid_coordinates"),
        ({"lon": 200.0}, 422, "invalid_coordinates"),
        ({"lat": 39.9042, "lon": 116.4074}, 422, "location_outside_service_area"),  # Beijing
        ({"radius_m": 0}, 422, "invalid_radius"),
        ({"radius_m": 50_001}, 422, "invalid_radius"),
        ({"datum": "mars"}, 422, "unknown_datum"),
        ({"lon": None}, 422, "incomplete_location"),
        ({"lat": None, "lon": None}, 422, "radius_needs_location"),
        ({"radius_m": None}, 422, "no_target"),
        ({"needed": -1}, 422, "invalid_needed"),
        ({"area_codes": ["419999"]}, 422, "unknown_area"),
        ({"roles": ["wizard"]}, 422, "unknown_role"),
        ({"sectors": ["mining"]}, 422, "unknown_sector"),
        ({"expires_at": "2020-01-01T00:00:00+08:00"}, 422, "invalid_expiry"),
        ({"expires_at": "2099-01-01T08:00:00"}, 422, "invalid_input"),  # no zone: ambiguous
        ({"title": "   "}, 422, "missing_title"),
        ({"kind": "alien_invasion"}, 422, "invalid_input"),
        ({"surprise": 1}, 422, "invalid_input"),
    ],
)
def test_bad_input_gets_a_specific_code_and_writes_nothing(as_role, on_duty, overrides, status, code):
    on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=100))
    client = as_role("county_coordinator", QIBIN)
    events_before = StreamEvent.objects.count()

    response = client.post("/api/v1/alerts", _alert(**overrides))

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert not Alert.objects.exists()
    assert not Delivery.objects.exists()
    assert StreamEvent.objects.count() == events_before
    assert not AuditEntry.objects.filter(action="alert_action").exists()


def test_a_filter_alert_reaches_everyone_in_the_areas_on_duty_or_not(as_role, make_person):
    inside = [make_person("volunteer", QIBIN_TOWNSHIP) for _ in range(2)]
    make_person("volunteer", "410611002")  # another 淇滨区 street
    client = as_role("county_coordinator", QIBIN)

    body = client.post("/api/v1/alerts", _alert(lat=None, lon=None, radius_m=None, area_codes=[QIBIN_TOWNSHIP])).json()

    assert body["recipients"] == 2
    assert body["area_code"] == QIBIN_TOWNSHIP
    assert set(Delivery.objects.filter(alert_id=body["id"]).values_list("person_id", flat=True)) == {
        p.pk for p in inside
    }


def test_a_filter_alert_by_team_and_role(as_role, make_person):
    team = TeamFactory(area_id=QIBIN_TOWNSHIP)
    member = make_person("volunteer", QIBIN_TOWNSHIP, team=team)
    make_person("liaison", QIBIN_TOWNSHIP, team=team)
    make_person("volunteer", QIBIN_TOWNSHIP)
    client = as_role("county_coordinator", QIBIN)

    body = client.post(
        "/api/v1/alerts", _alert(lat=None, lon=None, radius_m=None, team_ids=[team.pk], roles=["volunteer"])
    ).json()

    assert list(Delivery.objects.filter(alert_id=body["id"]).values_list("person_id", flat=True)) == [member.pk]


def test_the_raiser_is_never_their_own_recipient(make_person, login, on_duty):
    coordinator = on_duty(QIBIN_TOWNSHIP, at=JINSHAN, role="township_coordinator")
    client = login(coordinator)

    body = client.post("/api/v1/alerts", _alert()).json()

    assert body["recipients"] == 0


def test_errors_are_explained_in_chinese_by_default(as_role):
    client = as_role("county_coordinator", QIXIAN)

    response = client.post("/api/v1/alerts", _alert(lat=XUNXIAN_CENTRE[0], lon=XUNXIAN_CENTRE[1]))

    assert response.json()["message"] == "该位置不在您的管辖范围内。"


def test_each_event_carries_the_recipients_own_distance_and_bearing_as_on_their_delivery(as_role, on_duty):
    a = on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=1234, bearing=260))  # alert lies at ~80°: east
    b = on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=1190, bearing=275))
    client = as_role("county_coordinator", QIBIN)

    client.post("/api/v1/alerts", _alert())

    events = {e.person_id: e.payload for e in StreamEvent.objects.select_related("body").filter(type="alert.created")}
    deliveries = {d.person_id: d for d in Delivery.objects.all()}
    assert (round(events[a.pk]["distance_m"]), round(events[b.pk]["distance_m"])) == (1234, 1190)
    for person in (a, b):
        assert events[person.pk]["distance_m"] == deliveries[person.pk].distance_m
        assert events[person.pk]["bearing_deg"] == deliveries[person.pk].bearing_deg
        assert StreamEvent.objects.get(person=person).seq == deliveries[person.pk].seq
    assert {k: v for k, v in events[a.pk].items() if k not in ("distance_m", "bearing_deg")} == {
        k: v for k, v in events[b.pk].items() if k not in ("distance_m", "bearing_deg")
    }


def test_deleting_a_recipient_or_an_alert_removes_their_rows_without_database_foreign_keys(as_role, on_duty):
    # Delivery and StreamEvent carry no database-level foreign keys (dispatch.models): Django's
    # on_delete must still remove a deleted person's and a deleted alert's rows.
    gone, stays = (on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=m)) for m in (300, 600))
    client = as_role("county_coordinator", QIBIN)
    alert_id = client.post("/api/v1/alerts", _alert()).json()["id"]
    assert Delivery.objects.filter(alert_id=alert_id).count() == 2

    gone.delete()

    assert not Delivery.objects.filter(person_id=gone.pk).exists()
    assert not StreamEvent.objects.filter(person_id=gone.pk).exists()
    assert StreamEvent.objects.filter(person_id=stays.pk, type="alert.created").count() == 1
    Alert.objects.filter(pk=alert_id).delete()
    assert not Delivery.objects.exists()


def test_a_retry_with_the_same_idempotency_key_gets_the_first_alert_back_and_rings_nobody_again(as_role, on_duty):
    person = on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=500))
    client = as_role("county_coordinator", QIBIN)
    key = {"HTTP_IDEMPOTENCY_KEY": "3f2b9c1e8a7d4e6f9b0a1c2d3e4f5a6b"}

    first = client.post("/api/v1/alerts", _alert(), headers=key)
    again = client.post("/api/v1/alerts", _alert(title="重发"), headers=key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["title"] == "老人摔倒"
    assert Alert.objects.count() == 1
    assert Delivery.objects.filter(person=person).count() == 1
    assert StreamEvent.objects.filter(person_id=person.pk, type="alert.created").count() == 1
    assert AuditEntry.objects.filter(action="alert_action", details__action="create").count() == 1
    # Another key, or none, is another alert; so is the same key from someone else.
    assert (
        client.post("/api/v1/alerts", _alert(), headers={"HTTP_IDEMPOTENCY_KEY": "other"}).json()["id"]
        != first.json()["id"]
    )
    assert client.post("/api/v1/alerts", _alert()).status_code == 201
    colleague = as_role("county_coordinator", QIBIN).post("/api/v1/alerts", _alert(), headers=key)
    assert colleague.json()["id"] != first.json()["id"]
    assert Alert.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_two_posts_racing_with_one_idempotency_key_raise_one_alert_that_both_answers_name(
    as_role, on_duty, monkeypatch
):
    require_postgresql("two connections inserting one key wait on the unique index; SQLite has one writer")
    people = [on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=m)) for m in (400, 800)]
    bearer = as_role("county_coordinator", QIBIN).token
    key = {"HTTP_IDEMPOTENCY_KEY": "7c1e0b9a-race-4d2f"}
    # Both requests look the key up, find nothing, and only then go on to write: without this the first
    # could commit before the second looks, which is the sequential retry tested above.
    both_looked = threading.Barrier(2, timeout=10)
    lookup = alert_services.alert_for_request

    def look_then_wait(*, actor, request_key):
        found = lookup(actor=actor, request_key=request_key)
        both_looked.wait()
        return found

    monkeypatch.setattr(alert_services, "alert_for_request", look_then_wait)
    start = threading.Barrier(2, timeout=10)
    answers: list = []
    errors: list[BaseException] = []

    def post(title: str) -> None:
        try:
            client = ApiClient(bearer)
            start.wait()
            answers.append(client.post("/api/v1/alerts", _alert(title=title), headers=key))
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(title,)) for title in ("老人摔倒", "老人摔倒（重发）")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert [(a.status_code, a.json().get("code")) for a in answers] == [(201, None), (201, None)]
    alert = Alert.objects.get()
    assert [a.json()["id"] for a in answers] == [alert.pk, alert.pk]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["recipients"] == 2
    for person in people:
        assert Delivery.objects.filter(alert=alert, person=person).count() == 1
        events = StreamEvent.objects.filter(person_id=person.pk).order_by("seq")
        assert [(e.seq, e.type) for e in events] == [(1, "alert.created")]
    assert AuditEntry.objects.filter(action="alert_action", details__action="create").count() == 1


@pytest.mark.parametrize("key", ["有中文", "with space", "x" * 65])
def test_a_malformed_idempotency_key_is_refused_and_nothing_is_raised(as_role, key):
    response = as_role("county_coordinator", QIBIN).post(
        "/api/v1/alerts", _alert(), headers={"HTTP_IDEMPOTENCY_KEY": key}
    )

    assert (response.status_code, response.json()["code"]) == (422, "invalid_idempotency_key")
    assert not Alert.objects.exists()
