from __future__ import annotations

import pytest

from core.models import Area, AuditEntry
from dispatch.models import Alert, Response
from realtime.models import StreamEvent
from tests.conftest import QIBIN_TOWNSHIP, QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN, XUNXIAN_TOWNSHIP

pytestmark = pytest.mark.django_db


def _respond(client, alert_id, state):
    return client.post(f"/api/v1/alerts/{alert_id}/responses", {"state": state})


def test_a_recipient_moves_through_accepted_en_route_on_scene_done(raised):
    _, alert_id, people, clients = raised

    codes = [_respond(clients[0], alert_id, s).status_code for s in ("accepted", "en_route", "on_scene", "done")]

    assert codes == [200, 200, 200, 200]
    response = Response.objects.get(alert_id=alert_id, person=people[0])
    assert response.state == "done"
    assert response.accepted_at <= response.en_route_at <= response.on_scene_at <= response.done_at
    alert = Alert.objects.get(pk=alert_id)
    assert alert.first_accepted_at == response.accepted_at
    assert alert.first_on_scene_at == response.on_scene_at


def test_on_scene_before_accepting_is_a_conflict(raised):
    _, alert_id, _, clients = raised

    response = _respond(clients[0], alert_id, "on_scene")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["details"] == {"from": None, "to": "on_scene", "allowed": ["accepted", "declined"]}
    assert not Response.objects.exists()


def test_the_same_response_twice_is_a_duplicate(raised):
    _, alert_id, _, clients = raised
    _respond(clients[0], alert_id, "accepted")

    response = _respond(clients[0], alert_id, "accepted")

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_response"
    assert AuditEntry.objects.filter(action="alert_action", details__action="response").count() == 1


def test_done_is_final(raised):
    _, alert_id, _, clients = raised
    for state in ("accepted", "on_scene", "done"):
        _respond(clients[0], alert_id, state)

    response = _respond(clients[0], alert_id, "declined")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_a_coordinator_who_was_not_a_recipient_cannot_respond(raised):
    coordinator, alert_id, _, _ = raised

    response = _respond(coordinator, alert_id, "accepted")

    assert response.status_code == 403
    assert response.json()["code"] == "not_a_recipient"


def test_someone_else_gets_404_for_an_alert_they_never_saw(raised, as_role):
    _, alert_id, _, _ = raised

    response = _respond(as_role("volunteer", "410622101"), alert_id, "accepted")

    assert response.status_code == 404
    assert not Response.objects.exists()


def test_a_response_to_a_cancelled_alert_is_a_conflict(raised):
    coordinator, alert_id, _, clients = raised
    coordinator.post(f"/api/v1/alerts/{alert_id}/cancel", {"reason": "误报"})

    response = _respond(clients[0], alert_id, "accepted")

    assert response.status_code == 409
    assert response.json()["code"] == "alert_cancelled"
    assert not Response.objects.exists()


def test_an_unknown_state_is_refused(raised):
    _, alert_id, _, clients = raised

    response = _respond(clients[0], alert_id, "maybe")

    assert response.status_code == 422
    assert not Response.objects.exists()


def test_every_recipient_hears_how_many_accepted_and_stands_down_when_enough_have(raised):
    _, alert_id, people, clients = raised

    _respond(clients[0], alert_id, "accepted")
    _respond(clients[1], alert_id, "accepted")

    progress = [
        e.payload
        for e in StreamEvent.objects.select_related("body")
        .filter(person=people[2], type="alert.progress")
        .order_by("seq")
    ]
    assert [(p["accepted"], p["needed"], p["stand_down"]) for p in progress] == [(1, 2, False), (2, 2, True)]


def test_declining_after_accepting_lowers_the_count(raised):
    _, alert_id, people, clients = raised
    _respond(clients[0], alert_id, "accepted")

    _respond(clients[0], alert_id, "declined")

    last = StreamEvent.objects.filter(person=people[1], type="alert.progress").order_by("-seq").first()
    assert last.payload["accepted"] == 0


def test_a_declined_recipient_may_change_their_mind(raised):
    _, alert_id, _, clients = raised
    _respond(clients[0], alert_id, "declined")

    assert _respond(clients[0], alert_id, "accepted").status_code == 200


def test_the_board_shows_recipients_by_state_and_times(raised):
    coordinator, alert_id, people, clients = raised
    _respond(clients[0], alert_id, "accepted")
    _respond(clients[1], alert_id, "declined")
    _respond(clients[0], alert_id, "on_scene")

    board = coordinator.get(f"/api/v1/alerts/{alert_id}/board").json()

    assert board["by_state"] == {
        "no_response": 1,
        "accepted": 0,
        "declined": 1,
        "en_route": 0,
        "on_scene": 1,
        "done": 0,
    }
    assert [r["person_id"] for r in board["recipients"]] == [p.pk for p in people]
    assert [r["state"] for r in board["recipients"]] == ["on_scene", "declined", None]
    assert board["time_to_first_accept_s"] >= 0
    assert board["time_to_first_on_scene_s"] >= board["time_to_first_accept_s"]


def test_another_countys_coordinator_gets_404_for_the_board(raised, as_role):
    _, alert_id, _, _ = raised

    assert as_role("county_coordinator", QIXIAN).get(f"/api/v1/alerts/{alert_id}/board").status_code == 404


def test_the_detail_counts_deliveries_and_responses(raised):
    coordinator, alert_id, _, clients = raised
    _respond(clients[0], alert_id, "accepted")

    body = coordinator.get(f"/api/v1/alerts/{alert_id}").json()

    # Answering implies having seen the alert: the responder counts as read.
    assert body["deliveries"] == {"sent": 3, "delivered": 0, "read": 1}
    assert body["responses"] == {"accepted": 1, "declined": 0, "en_route": 0, "on_scene": 0, "done": 0}


def test_each_response_updates_the_board_of_dashboards_covering_the_alert(
    raised, monkeypatch, django_capture_on_commit_callbacks
):
    _, alert_id, people, clients = raised
    sent = []
    monkeypatch.setattr("realtime.transport.announce", lambda **kw: sent.append(kw))

    with django_capture_on_commit_callbacks(execute=True):
        _respond(clients[0], alert_id, "accepted")

    [board] = [kw for kw in sent if kw["body"]["type"] == "alert.board"]
    assert board["area_code"] == QIBIN_TOWNSHIP
    assert board["body"]["responses"]["accepted"] == 1
    assert (
        board["body"]["person_id"],
        board["body"]["state"],
        board["body"]["recipients"],
        board["body"]["read"],
    ) == (people[0].pk, "accepted", 3, 1)


@pytest.fixture
def across_counties(make_person, login):
    """A city alert raised in 淇县 that also reaches 浚县: (city client, alert, 淇县 recipient, 浚县 recipient)."""
    city = login(make_person("city_admin", "410600"))
    qixian_vol = make_person("volunteer", QIXIAN_TOWNSHIP)
    xunxian_vol = make_person("volunteer", XUNXIAN_TOWNSHIP)
    spot = Area.objects.get(code=QIXIAN_TOWNSHIP)
    alert = city.post(
        "/api/v1/alerts",
        {
            "kind": "other",
            "title": "跨县",
            "lat": spot.lat,
            "lon": spot.lon,
            "area_codes": [QIXIAN_TOWNSHIP, XUNXIAN_TOWNSHIP],
        },
    ).json()
    assert (alert["area_code"], alert["recipients"]) == (QIXIAN_TOWNSHIP, 2)
    return city, Alert.objects.get(pk=alert["id"]), qixian_vol, xunxian_vol


def test_a_county_coordinators_board_names_only_their_countys_people_but_counts_everyone(
    across_counties, as_role, login
):
    city, alert, qixian_vol, xunxian_vol = across_counties
    _respond(login(xunxian_vol), alert.pk, "accepted")

    county = as_role("county_coordinator", QIXIAN).get(f"/api/v1/alerts/{alert.pk}/board").json()
    whole = city.get(f"/api/v1/alerts/{alert.pk}/board").json()

    assert [(r["person_id"], r["name"], r["area_code"]) for r in county["recipients"]] == [
        (qixian_vol.pk, qixian_vol.name, QIXIAN_TOWNSHIP)
    ]
    assert (county["recipients_total"], county["recipients_hidden"]) == (2, 1)
    assert (county["by_state"]["accepted"], county["by_state"]["no_response"]) == (1, 1)
    assert county["time_to_first_accept_s"] is not None
    assert sorted(r["person_id"] for r in whole["recipients"]) == sorted([qixian_vol.pk, xunxian_vol.pk])
    assert (whole["recipients_total"], whole["recipients_hidden"], whole["by_state"]) == (2, 0, county["by_state"])


def test_a_response_from_another_county_names_the_responder_only_to_dashboards_covering_both_counties(
    across_counties, login, monkeypatch, django_capture_on_commit_callbacks
):
    _, alert, _, xunxian_vol = across_counties
    sent = []
    monkeypatch.setattr("realtime.transport.announce", lambda **kw: sent.append(kw))

    with django_capture_on_commit_callbacks(execute=True):
        _respond(login(xunxian_vol), alert.pk, "accepted")

    boards = [(kw["area_code"], kw["body"]) for kw in sent if kw["body"]["type"] == "alert.board"]
    assert [(area, body["person_id"], body["state"]) for area, body in boards] == [
        (QIXIAN_TOWNSHIP, None, None),  # the alert's progress, for every dashboard covering it
        ("4106", xunxian_vol.pk, "accepted"),  # who answered: only dashboards covering 淇县 and 浚县 (the city's)
    ]
    assert [body["responses"]["accepted"] for _, body in boards] == [1, 1]


def test_a_response_is_audited_under_the_responders_home_area(across_counties, login, as_role):
    _, alert, qixian_vol, xunxian_vol = across_counties

    _respond(login(xunxian_vol), alert.pk, "accepted")
    _respond(login(qixian_vol), alert.pk, "declined")

    entries = AuditEntry.objects.filter(action="alert_action", details__action="response")
    assert sorted(entries.values_list("area_code", "actor__person__pk")) == sorted(
        [(XUNXIAN_TOWNSHIP, xunxian_vol.pk), (QIXIAN_TOWNSHIP, qixian_vol.pk)]
    )
    seen = {
        county: [
            e["details"]["state"]
            for e in as_role("county_coordinator", county).get("/api/v1/audit").json()["items"]
            if e["details"].get("action") == "response"
        ]
        for county in (QIXIAN, XUNXIAN)
    }
    assert seen == {QIXIAN: ["declined"], XUNXIAN: ["accepted"]}
