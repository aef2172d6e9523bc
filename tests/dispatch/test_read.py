"""POST /api/v1/alerts/{id}/read: a recipient saw the alert's full screen (the Delivery's "read")."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from core.models import AuditEntry
from dispatch.models import Delivery
from dispatch.services.responses import delivery_read
from tests.conftest import QIBIN, QIBIN_TOWNSHIP, QIXIAN

pytestmark = pytest.mark.django_db


def _read(client, alert_id):
    return client.post(f"/api/v1/alerts/{alert_id}/read")


def _read_at(alert_id, person):
    return Delivery.objects.get(alert_id=alert_id, person=person).read_at


def _read_audits():
    return AuditEntry.objects.filter(action="alert_action", details__action="read")


def test_a_recipient_marks_the_alert_read(raised):
    _, alert_id, people, clients = raised
    before = timezone.now()

    response = _read(clients[0], alert_id)

    assert response.status_code == 204
    assert response.content == b""
    assert before <= _read_at(alert_id, people[0]) <= timezone.now()
    assert [_read_at(alert_id, p) for p in people[1:]] == [None, None]
    [audit] = _read_audits()
    assert (audit.object_id, audit.area_code, audit.actor_id) == (str(alert_id), QIBIN_TOWNSHIP, people[0].user_id)


def test_reading_again_keeps_the_first_time_and_changes_nothing(raised):
    _, alert_id, people, clients = raised
    _read(clients[0], alert_id)
    first = _read_at(alert_id, people[0])

    again = _read(clients[0], alert_id)
    later = delivery_read(actor=people[0].user, alert_id=alert_id, now=timezone.now() + timedelta(minutes=5))

    assert again.status_code == 204
    assert later.read_at == first
    assert _read_at(alert_id, people[0]) == first
    assert _read_audits().count() == 1


def test_a_coordinator_who_was_not_a_recipient_cannot_mark_it_read(raised):
    coordinator, alert_id, _, _ = raised

    response = _read(coordinator, alert_id)

    # As for responses: the coordinator sees the alert, so saying why reveals nothing.
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_recipient"
    assert not Delivery.objects.filter(read_at__isnull=False).exists()


def test_someone_who_never_got_the_alert_gets_404_as_for_an_alert_that_does_not_exist(raised, as_role):
    _, alert_id, _, clients = raised

    volunteer = _read(as_role("volunteer", "410622101"), alert_id)
    other_county = _read(as_role("county_coordinator", QIXIAN), alert_id)
    missing = _read(clients[0], alert_id + 1000)

    assert [r.status_code for r in (volunteer, other_county, missing)] == [404, 404, 404]
    assert [r.json()["code"] for r in (volunteer, other_county, missing)] == ["not_found"] * 3
    assert not Delivery.objects.filter(read_at__isnull=False).exists()
    assert not _read_audits().exists()


def test_a_cancelled_alert_can_still_be_read_and_it_is_recorded(raised):
    coordinator, alert_id, people, clients = raised
    coordinator.post(f"/api/v1/alerts/{alert_id}/cancel", {"reason": "误报"})

    response = _read(clients[0], alert_id)

    # Reading is not a response: the stand-down was seen, and the board may say so.
    assert response.status_code == 204
    assert _read_at(alert_id, people[0]) is not None
    assert _read_audits().count() == 1


def test_a_response_marks_the_alert_read_at_the_time_of_the_response(raised):
    _, alert_id, people, clients = raised

    clients[0].post(f"/api/v1/alerts/{alert_id}/responses", {"state": "declined"})

    response = people[0].alert_responses.get(alert_id=alert_id)
    assert _read_at(alert_id, people[0]) == response.declined_at
    assert not _read_audits().exists()  # the response's own audit entry covers it


def test_a_response_after_a_read_keeps_the_read_time(raised):
    _, alert_id, people, clients = raised
    _read(clients[0], alert_id)
    first = _read_at(alert_id, people[0])

    clients[0].post(f"/api/v1/alerts/{alert_id}/responses", {"state": "accepted"})

    assert _read_at(alert_id, people[0]) == first


def test_the_detail_counts_read_deliveries(raised):
    coordinator, alert_id, _, clients = raised
    _read(clients[0], alert_id)
    _read(clients[0], alert_id)
    clients[1].post(f"/api/v1/alerts/{alert_id}/responses", {"state": "accepted"})

    body = coordinator.get(f"/api/v1/alerts/{alert_id}").json()

    assert body["deliveries"] == {"sent": 3, "delivered": 0, "read": 2}


def test_the_board_counts_read_and_shows_when_each_recipient_read(raised):
    coordinator, alert_id, people, clients = raised
    _read(clients[1], alert_id)

    board = coordinator.get(f"/api/v1/alerts/{alert_id}/board").json()

    assert board["read"] == 1
    assert [r["person_id"] for r in board["recipients"]] == [p.pk for p in people]
    near, middle, far = (r["read_at"] for r in board["recipients"])
    stored = _read_at(alert_id, people[1])
    assert (near, far) == (None, None)
    # The API writes milliseconds.
    assert datetime.fromisoformat(middle) == stored.replace(microsecond=stored.microsecond // 1000 * 1000)


def test_a_first_read_updates_the_board_of_dashboards_covering_the_alert(
    raised, monkeypatch, django_capture_on_commit_callbacks
):
    _, alert_id, people, clients = raised
    sent = []
    monkeypatch.setattr("realtime.transport.announce", lambda **kw: sent.append(kw))

    with django_capture_on_commit_callbacks(execute=True):
        _read(clients[0], alert_id)
        _read(clients[0], alert_id)

    [board] = [kw for kw in sent if kw["body"]["type"] == "alert.board"]
    assert board["area_code"] == QIBIN_TOWNSHIP
    assert {k: board["body"][k] for k in ("alert_id", "recipients", "read", "person_id", "state")} == {
        "alert_id": alert_id,
        "recipients": 3,
        "read": 1,
        "person_id": people[0].pk,
        "state": None,
    }


def test_a_new_alert_announces_nobody_has_read_it(as_role, on_duty, monkeypatch, django_capture_on_commit_callbacks):
    on_duty(QIBIN_TOWNSHIP, at=(35.774691, 114.240340))
    coordinator = as_role("county_coordinator", QIBIN)
    sent = []
    monkeypatch.setattr("realtime.transport.announce", lambda **kw: sent.append(kw))

    with django_capture_on_commit_callbacks(execute=True):
        coordinator.post("/api/v1/alerts", {"kind": "fire", "title": "起火", "area_codes": [QIBIN_TOWNSHIP]})

    [board] = [kw["body"] for kw in sent if kw["body"]["type"] == "alert.board"]
    assert (board["recipients"], board["read"]) == (1, 0)
