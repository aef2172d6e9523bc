from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from core.models import AuditEntry
from dispatch.jobs import escalate_due_alerts
from dispatch.models import Alert, Delivery
from dispatch.services.escalation import alert_escalate
from realtime.models import StreamEvent
from tests.conftest import JINSHAN, QIBIN, QIBIN_TOWNSHIP
from tests.dispatch.conftest import point_at

DELAY = timedelta(seconds=61)


@pytest.fixture
def scene(as_role, on_duty, make_person):
    """A township coordinator's 1 km alert needing 2; responders at 500 m, 1.5 km and 3.5 km; a county coordinator."""
    first = on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=500))
    second = on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=1500, bearing=90))
    third = on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=3500, bearing=180))
    county = make_person("county_coordinator", QIBIN)
    coordinator = as_role("township_coordinator", QIBIN_TOWNSHIP)
    alert_id = coordinator.post(
        "/api/v1/alerts",
        {
            "kind": "flood_rescue",
            "title": "积水被困",
            "lat": JINSHAN[0],
            "lon": JINSHAN[1],
            "radius_m": 1000,
            "needed": 2,
        },
    ).json()["id"]
    return {"alert_id": alert_id, "people": [first, second, third], "county": county, "client": coordinator}


def _recipients(alert_id):
    return list(Delivery.objects.filter(alert_id=alert_id).order_by("distance_m").values_list("person_id", "wave"))


@pytest.mark.django_db
def test_nothing_happens_before_the_timeout(scene):
    assert escalate_due_alerts(timezone.now() + timedelta(seconds=30)) == 0

    assert Alert.objects.get(pk=scene["alert_id"]).radius_m == 1000


@pytest.mark.django_db
def test_after_the_timeout_the_radius_doubles_once_even_when_the_job_runs_twice(scene):
    now = timezone.now() + DELAY
    first, second, _ = scene["people"]

    results = [escalate_due_alerts(now), escalate_due_alerts(now)]

    assert results == [1, 0]
    alert = Alert.objects.get(pk=scene["alert_id"])
    assert (alert.radius_m, alert.escalation_step) == (2000, 1)
    assert alert.escalate_at == now + timedelta(seconds=60)
    assert _recipients(alert.pk) == [(first.pk, 0), (second.pk, 1)]
    assert AuditEntry.objects.filter(details__action="escalate_widen").count() == 1
    assert StreamEvent.objects.filter(person=second, type="alert.created").count() == 1


@pytest.mark.django_db
def test_a_worker_that_saw_the_same_step_loses_the_claim(scene):
    now = timezone.now() + DELAY

    won = [alert_escalate(alert_id=scene["alert_id"], step=0, now=now) for _ in range(2)]

    assert won == [True, False]
    assert Alert.objects.get(pk=scene["alert_id"]).radius_m == 2000


@pytest.mark.django_db
def test_widening_continues_step_by_step_while_too_few_accept(scene):
    now = timezone.now() + DELAY
    escalate_due_alerts(now)

    escalate_due_alerts(now + DELAY)

    alert = Alert.objects.get(pk=scene["alert_id"])
    assert (alert.radius_m, alert.escalation_step) == (4000, 2)
    assert [wave for _, wave in _recipients(alert.pk)] == [0, 1, 2]


@pytest.mark.django_db
def test_no_widening_once_enough_have_accepted(scene, login):
    first, second, _ = scene["people"]
    scene["client"].post(f"/api/v1/alerts/{scene['alert_id']}/escalate")  # widen to 2 km now, by hand
    for person in (first, second):
        login(person).post(f"/api/v1/alerts/{scene['alert_id']}/responses", {"state": "accepted"})

    escalate_due_alerts(timezone.now() + DELAY)

    alert = Alert.objects.get(pk=scene["alert_id"])
    assert alert.radius_m == 2000
    assert alert.escalate_at is None
    assert AuditEntry.objects.filter(details__action="escalation_not_needed").count() == 1


@pytest.mark.django_db
def test_at_the_county_edge_the_next_levels_coordinator_is_told_once(scene):
    Alert.objects.filter(pk=scene["alert_id"]).update(radius_m=50_000)
    now = timezone.now() + DELAY

    escalate_due_alerts(now)
    escalate_due_alerts(now + DELAY)

    alert = Alert.objects.get(pk=scene["alert_id"])
    assert alert.escalated_to_level == "county"
    assert alert.escalate_at is None
    [event] = StreamEvent.objects.filter(person=scene["county"], type="alert.escalated")
    assert (event.payload["alert_id"], event.payload["accepted"], event.payload["needed"]) == (alert.pk, 0, 2)
    # When it happened travels with it: a dashboard that was closed lists it, from its replay, at that time.
    assert datetime.fromisoformat(event.payload["at"]) == alert.updated_at


@pytest.mark.django_db
def test_escalation_is_driven_by_stored_state_so_a_fresh_worker_picks_it_up(scene):
    # As if the process that raised it had died: only the row says it is due.
    Alert.objects.filter(pk=scene["alert_id"]).update(escalate_at=timezone.now() - timedelta(seconds=1))

    call_command("run_jobs", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert Alert.objects.get(pk=scene["alert_id"]).radius_m == 2000


@pytest.mark.django_db
def test_a_coordinator_can_escalate_at_once(scene):
    response = scene["client"].post(f"/api/v1/alerts/{scene['alert_id']}/escalate")

    assert response.status_code == 200
    assert (response.json()["radius_m"], response.json()["escalation_step"], response.json()["recipients"]) == (
        2000,
        1,
        2,
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_escalate_exactly_once(scene):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer; the race is real only on PostgreSQL (CI runs it there)")
    now = timezone.now() + DELAY
    barrier = threading.Barrier(2)
    results: list[int] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(escalate_due_alerts(now))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [0, 1]
    alert = Alert.objects.get(pk=scene["alert_id"])
    assert (alert.radius_m, alert.escalation_step) == (2000, 1)
    assert Delivery.objects.filter(alert=alert, wave=1).count() == 1


@pytest.mark.django_db
def test_an_expired_alert_never_widens(scene):
    alert = Alert.objects.get(pk=scene["alert_id"])

    assert escalate_due_alerts(alert.expires_at + timedelta(seconds=1)) == 0
    assert Alert.objects.get(pk=alert.pk).radius_m == 1000
