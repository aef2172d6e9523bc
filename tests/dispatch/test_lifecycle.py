from __future__ import annotations

import pytest

from core.models import AuditEntry
from dispatch.models import Alert
from realtime.models import StreamEvent
from tests.conftest import JINSHAN, QIBIN, QIBIN_TOWNSHIP, QIXIAN
from tests.dispatch.conftest import point_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def raised(as_role, on_duty):
    people = [on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=300 * (i + 1))) for i in range(2)]
    coordinator = as_role("county_coordinator", QIBIN)
    alert_id = coordinator.post(
        "/api/v1/alerts",
        {"kind": "missing_person", "title": "走失儿童", "lat": JINSHAN[0], "lon": JINSHAN[1], "radius_m": 1500},
    ).json()["id"]
    return coordinator, alert_id, people


def _events(person, type_):
    return [e.payload for e in StreamEvent.objects.select_related("body").filter(person=person, type=type_)]


def test_an_update_reaches_every_recipient_with_a_new_version(raised):
    coordinator, alert_id, people = raised

    response = coordinator.patch(f"/api/v1/alerts/{alert_id}", {"title": "走失儿童（已找到线索）", "needed": 3})

    assert response.status_code == 200
    assert response.json()["version"] == 2
    for person in people:
        [event] = _events(person, "alert.updated")
        assert (event["title"], event["needed"], event["version"]) == ("走失儿童（已找到线索）", 3, 2)


def test_a_cancel_reaches_every_recipient_and_stops_escalation(raised):
    coordinator, alert_id, people = raised

    response = coordinator.post(f"/api/v1/alerts/{alert_id}/cancel", {"reason": "孩子已回家"})

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert [_events(p, "alert.cancelled") for p in people] == [
        [{"type": "alert.cancelled", "alert_id": alert_id, "reason": "孩子已回家"}]
    ] * 2
    assert Alert.objects.get(pk=alert_id).escalate_at is None


def test_cancelling_twice_is_a_conflict(raised):
    coordinator, alert_id, _ = raised
    coordinator.post(f"/api/v1/alerts/{alert_id}/cancel")

    response = coordinator.post(f"/api/v1/alerts/{alert_id}/cancel")

    assert response.status_code == 409
    assert response.json()["code"] == "alert_cancelled"


def test_a_close_reaches_every_recipient(raised):
    coordinator, alert_id, people = raised

    response = coordinator.post(f"/api/v1/alerts/{alert_id}/close")

    assert response.json()["status"] == "closed"
    assert all(_events(p, "alert.closed") == [{"type": "alert.closed", "alert_id": alert_id}] for p in people)


def test_a_closed_alert_cannot_be_updated(raised):
    coordinator, alert_id, _ = raised
    coordinator.post(f"/api/v1/alerts/{alert_id}/close")

    response = coordinator.patch(f"/api/v1/alerts/{alert_id}", {"title": "x"})

    assert response.status_code == 409
    assert response.json()["code"] == "alert_closed"


def test_every_alert_action_is_audited(raised):
    coordinator, alert_id, _ = raised
    coordinator.patch(f"/api/v1/alerts/{alert_id}", {"severity": "extreme"})
    coordinator.post(f"/api/v1/alerts/{alert_id}/cancel")

    actions = list(
        AuditEntry.objects.filter(action="alert_action", object_id=str(alert_id))
        .order_by("id")
        .values_list("details__action", flat=True)
    )
    assert actions == ["create", "update", "cancel"]


def test_another_countys_coordinator_cannot_see_change_or_cancel_it(raised, as_role):
    _, alert_id, _ = raised
    other = as_role("county_coordinator", QIXIAN)

    assert other.get(f"/api/v1/alerts/{alert_id}").status_code == 404
    assert other.patch(f"/api/v1/alerts/{alert_id}", {"title": "x"}).status_code == 404
    assert other.post(f"/api/v1/alerts/{alert_id}/cancel").status_code == 404
    assert other.get("/api/v1/alerts").json() == {"items": [], "count": 0}
    assert Alert.objects.get(pk=alert_id).status == "active"


def test_a_recipient_can_read_the_alert_they_were_sent_but_not_others(raised, login, make_person):
    _, alert_id, people = raised
    bystander = login(make_person("volunteer", QIBIN_TOWNSHIP))

    mine = login(people[0]).get("/api/v1/alerts")

    assert [item["id"] for item in mine.json()["items"]] == [alert_id]
    assert login(people[0]).get(f"/api/v1/alerts/{alert_id}").status_code == 200
    assert bystander.get(f"/api/v1/alerts/{alert_id}").status_code == 404


def test_an_update_expiring_at_a_time_without_a_zone_is_a_422_and_changes_nothing(raised):
    coordinator, alert_id, people = raised
    expires_at = Alert.objects.get(pk=alert_id).expires_at

    response = coordinator.patch(f"/api/v1/alerts/{alert_id}", {"title": "改", "expires_at": "2099-01-01T08:00:00"})

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_input"
    assert response.json()["details"][0]["loc"] == ["body", "payload", "expires_at"]
    alert = Alert.objects.get(pk=alert_id)
    assert (alert.title, alert.expires_at, alert.version) == ("走失儿童", expires_at, 1)
    assert all(_events(p, "alert.updated") == [] for p in people)


@pytest.mark.parametrize("params", [{"since": "2026-01-01T00:00:00"}, {"until": "2026-01-01T00:00:00"}])
def test_a_list_filter_time_without_a_zone_is_a_422(raised, params):
    coordinator, _, _ = raised

    response = coordinator.get("/api/v1/alerts", **params)

    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")


def test_the_list_filters_by_status(raised):
    coordinator, alert_id, _ = raised
    coordinator.post(f"/api/v1/alerts/{alert_id}/close")

    assert coordinator.get("/api/v1/alerts", status="active").json()["count"] == 0
    assert coordinator.get("/api/v1/alerts", status="closed").json()["count"] == 1


def test_an_expired_alert_is_closed_once_by_the_job_and_recipients_are_told(raised):
    from datetime import timedelta

    from django.utils import timezone

    from dispatch.jobs import close_expired_alerts

    _, alert_id, people = raised
    later = Alert.objects.get(pk=alert_id).expires_at + timedelta(seconds=1)

    assert [close_expired_alerts(later), close_expired_alerts(later)] == [1, 0]
    assert Alert.objects.get(pk=alert_id).status == "closed"
    assert all(len(_events(p, "alert.closed")) == 1 for p in people)
    assert close_expired_alerts(timezone.now()) == 0


def test_a_located_filter_alert_tells_recipients_with_a_fresh_fix_how_far_it_is(as_role, on_duty, make_person):
    placed = on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=700, bearing=0))
    unplaced = make_person("volunteer", QIBIN_TOWNSHIP)
    client = as_role("county_coordinator", QIBIN)

    body = client.post(
        "/api/v1/alerts",
        {"kind": "other", "title": "集合", "lat": JINSHAN[0], "lon": JINSHAN[1], "area_codes": [QIBIN_TOWNSHIP]},
    ).json()

    assert body["recipients"] == 2
    assert round(StreamEvent.objects.get(person=placed).payload["distance_m"]) == 700
    assert StreamEvent.objects.get(person=unplaced).payload["distance_m"] is None


def test_cancel_works_with_an_empty_body(raised):
    coordinator, alert_id, _ = raised

    response = coordinator.post(f"/api/v1/alerts/{alert_id}/cancel", raw="")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
