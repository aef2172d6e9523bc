"""Redis down, path by path: HTTP keeps answering with a documented status, never a 500, never a half-write.

The outage is tests/redis_outage.py's `redis_down()`: every Redis client of the process points at a closed
loopback port. "Redis comes back" is the end of the block: the original store is found again with
whatever it held (docs/DEPLOY.md, "When something fails"; the codes are in docs/PROTOCOL.md).
Also: tests/realtime/test_location_frame.py (the phone's `location` frame), tests/training/test_checkin.py
(check-in), tests/core/test_positions_redis.py (the store), tests/faults/test_redis_restart.py (real processes).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditEntry, DutyStatus
from core.positions import Fix, positions
from core.services.duty import positions_prune
from dispatch.models import Alert, Delivery
from liaisons.live import coverage_changed
from liaisons.models import Liaison
from realtime.snapshot import dashboard_snapshot
from tests.conftest import JINSHAN, QIBIN, QIBIN_TOWNSHIP
from tests.redis_outage import redis_down

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_positions")]

NEARBY = (35.7760, 114.2405)  # ~150 m north of it


@pytest.fixture
def member(make_person, login):
    """An on-duty volunteer of 淇滨区 with a fresh fix near 金山街道's centre, and their API client."""
    person = make_person("volunteer", QIBIN_TOWNSHIP)
    client = login(person)
    assert client.send("put", "/api/v1/me/duty", {"on_duty": True}).status_code == 200
    assert client.send("put", "/api/v1/me/location", {"lat": NEARBY[0], "lon": NEARBY[1]}).status_code == 200
    return person, client


def _unavailable(response, code: str = "positions_unavailable") -> None:
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message"]
    assert response["Retry-After"] == "5"


def test_reporting_a_location_with_redis_down_answers_503_positions_unavailable_and_stores_nothing(make_person, login):
    person = make_person("volunteer", QIBIN_TOWNSHIP)
    client = login(person)
    client.send("put", "/api/v1/me/duty", {"on_duty": True})

    with redis_down():
        put = client.send("put", "/api/v1/me/location", {"lat": NEARBY[0], "lon": NEARBY[1]})
        read = client.get("/api/v1/me/location")

    _unavailable(put)
    _unavailable(read)
    assert client.get("/api/v1/me/location").status_code == 404  # back: nothing was stored


def test_the_outage_message_is_in_chinese_for_a_chinese_client(member):
    _person, client = member

    with redis_down():
        response = client.get("/api/v1/me/location", headers={"HTTP_ACCEPT_LANGUAGE": "zh-hans"})

    assert response.json()["message"] == "实时位置服务暂时不可用，请几秒后重试。"


def test_going_on_and_off_duty_with_redis_down_commits_and_the_left_fix_counts_for_nothing_then_goes(
    member, as_role, django_capture_on_commit_callbacks
):
    person, client = member
    coordinator = as_role("county_coordinator", QIBIN)

    with redis_down(), django_capture_on_commit_callbacks(execute=True) as after_commit:
        off = client.send("put", "/api/v1/me/duty", {"on_duty": False})

    assert (off.status_code, off.json()["on_duty"]) == (200, False)
    assert len(after_commit) == 1  # the removal ran, and failed quietly
    assert DutyStatus.objects.get(person=person).on_duty is False
    # Redis is back with the fix it held: no reader uses it ...
    assert positions().get(person.pk) is not None
    assert client.get("/api/v1/me/location").status_code == 404
    areas = coverage_areas(coordinator)
    assert areas[QIBIN_TOWNSHIP]["on_duty"] == 0
    layer = coordinator.get("/api/v1/coverage/layers/on-duty").json()
    assert layer["features"] == []
    preview = coordinator.post("/api/v1/alerts/preview", alert_body())
    assert preview.json()["recipients"] == 0
    # ... and the next prune removes it.
    assert positions_prune(now=timezone.now()) == 1
    assert positions().get(person.pk) is None

    with redis_down():
        on = client.send("put", "/api/v1/me/duty", {"on_duty": True})
    assert (on.status_code, on.json()["on_duty"]) == (200, True)


def alert_body(**over):
    return {
        "kind": "injured_person",
        "severity": "severe",
        "title": "Fall at the crossing",
        "lat": JINSHAN[0],
        "lon": JINSHAN[1],
        "radius_m": 2000,
        "needed": 1,
        **over,
    }


def test_raising_a_radius_alert_with_redis_down_answers_503_and_writes_nothing(member, as_role):
    coordinator = as_role("county_coordinator", QIBIN)
    audits = AuditEntry.objects.count()

    with redis_down():
        raised = coordinator.post("/api/v1/alerts", alert_body())
        preview = coordinator.post("/api/v1/alerts/preview", alert_body())

    _unavailable(raised)
    _unavailable(preview)
    assert Alert.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert AuditEntry.objects.count() == audits
    # Redis is back: the same request raises the alert and reaches the member.
    again = coordinator.post("/api/v1/alerts", alert_body())
    assert (again.status_code, again.json()["recipients"]) == (201, 1)


def test_a_located_filter_alert_with_redis_down_still_reaches_everyone_it_names_without_distances(member, as_role):
    person, _client = member
    coordinator = as_role("county_coordinator", QIBIN)

    with redis_down():
        raised = coordinator.post("/api/v1/alerts", alert_body(radius_m=None, area_codes=[QIBIN_TOWNSHIP]))

    assert raised.status_code == 201, raised.content
    assert raised.json()["recipients"] == 1
    delivery = Delivery.objects.get(alert_id=raised.json()["id"])
    assert delivery.person_id == person.pk
    assert delivery.distance_m is None


def coverage_areas(client) -> dict[str, dict]:
    response = client.get("/api/v1/coverage/areas", area=QIBIN, level="township", limit=500)
    assert response.status_code == 200, response.content
    return {item["area_code"]: item for item in response.json()["items"]}


def test_coverage_with_redis_down_counts_members_and_reports_on_duty_and_connected_as_unknown(member, as_role):
    coordinator = as_role("county_coordinator", QIBIN)

    with redis_down():
        areas = coverage_areas(coordinator)
        townships = coordinator.get("/api/v1/coverage/layers/townships")
        grid = coordinator.get("/api/v1/coverage/grid", area=QIBIN_TOWNSHIP)
        summary = coordinator.get("/api/v1/coverage/summary", area=QIBIN)
        on_duty = coordinator.get("/api/v1/coverage/layers/on-duty")

    jinshan = areas[QIBIN_TOWNSHIP]
    assert (jinshan["volunteers"], jinshan["on_duty"], jinshan["on_duty_by_sector"], jinshan["connected"]) == (
        1,
        None,
        None,
        None,
    )
    assert townships.status_code == 200
    (feature,) = [f for f in townships.json()["features"] if f["id"] == QIBIN_TOWNSHIP]
    assert (feature["properties"]["volunteers"], feature["properties"]["on_duty"]) == (1, None)
    # Distances and the positions themselves are about positions: a null distance would say "nobody on duty".
    _unavailable(grid)
    _unavailable(summary)
    _unavailable(on_duty)
    # Redis is back: the member counts again.
    assert coverage_areas(coordinator)[QIBIN_TOWNSHIP]["on_duty"] == 1


def test_a_coverage_nudge_with_redis_down_is_dropped_without_failing_its_caller(hebi):
    with redis_down():
        assert coverage_changed(area_code=QIBIN_TOWNSHIP) is False


def test_a_liaisons_work_areas_change_with_redis_down_commits_and_answers_200(
    make_person, as_role, django_capture_on_commit_callbacks
):
    liaison = make_person("liaison", QIBIN_TOWNSHIP)
    Liaison.objects.create(person=liaison, sector_id="food_delivery")
    coordinator = as_role("county_coordinator", QIBIN)

    with redis_down(), django_capture_on_commit_callbacks(execute=True) as after_commit:
        response = coordinator.send("put", f"/api/v1/liaisons/{liaison.pk}/work-areas", {"area_codes": ["410611002"]})

    assert response.status_code == 200, response.content
    assert len(after_commit) == 1  # the coverage nudge ran, and was dropped
    assert list(liaison.liaison.work_areas.values_list("code", flat=True)) == ["410611002"]


def test_a_dashboard_snapshot_with_redis_down_says_online_is_unknown_and_keeps_the_duty_counts(member):
    person, _client = member

    with redis_down():
        sections = dashboard_snapshot(prefixes=(QIBIN,))

    assert sections["online"] is None
    assert sections["on_duty"] == {person.home_area_id: 1}


def test_a_stored_fix_of_someone_off_duty_is_pruned_and_a_fresh_one_on_duty_kept(member, make_person):
    on, _client = member
    off = make_person("volunteer", QIBIN_TOWNSHIP)
    DutyStatus.objects.create(person=off, on_duty=False, changed_at=timezone.now())
    positions().put(Fix(person_id=off.pk, lat=NEARBY[0], lon=NEARBY[1], accuracy_m=5.0, at=timezone.now()))

    assert positions_prune(now=timezone.now()) == 1
    assert positions().get(off.pk) is None
    assert positions().get(on.pk) is not None
    assert positions_prune(now=timezone.now() + timedelta(minutes=11)) == 1  # and a stale one goes too
    assert positions().get(on.pk) is None
