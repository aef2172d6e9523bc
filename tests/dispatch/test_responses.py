from __future__ import annotations

import pytest

from core.models import AuditEntry
from dispatch.models import Alert, Response
from realtime.models import StreamEvent
from tests.conftest import JINSHAN, QIBIN, QIBIN_TOWNSHIP, QIXIAN
from tests.dispatch.conftest import point_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def raised(as_role, on_duty, login):
    """A 淇滨区 alert needing 2, delivered to three on-duty volunteers; returns (coordinator, alert id, [clients])."""
    people = [on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=200 * (i + 1))) for i in range(3)]
    coordinator = as_role("county_coordinator", QIBIN)
    body = coordinator.post(
        "/api/v1/alerts",
        {"kind": "fire", "title": "仓库起火", "lat": JINSHAN[0], "lon": JINSHAN[1], "radius_m": 1000, "needed": 2},
    ).json()
    return coordinator, body["id"], people, [login(p) for p in people]


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

    assert body["deliveries"] == {"sent": 3, "delivered": 0}
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
    assert (board["body"]["person_id"], board["body"]["state"], board["body"]["recipients"]) == (
        people[0].pk,
        "accepted",
        3,
    )
