"""POST /api/v1/alerts/preview: the recipient count before sending, with the same checks and no writes."""

from __future__ import annotations

import pytest

from core.models import AuditEntry
from dispatch.models import Alert, Delivery
from realtime.models import StreamEvent
from tests.conftest import JINSHAN, QIBIN, QIBIN_TOWNSHIP, QIXIAN, XUNXIAN_TOWNSHIP
from tests.dispatch.conftest import QIXIAN_CENTRE, XUNXIAN_CENTRE, point_at

pytestmark = pytest.mark.django_db


def _alert(**overrides):
    body = {
        "kind": "injured_person",
        "severity": "severe",
        "title": "老人摔倒",
        "lat": JINSHAN[0],
        "lon": JINSHAN[1],
        "radius_m": 2000,
        "needed": 2,
    }
    return {**body, **overrides}


def test_the_preview_counts_exactly_whom_the_alert_would_ring_and_writes_nothing(as_role, on_duty):
    on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=300))
    on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=1900, bearing=90))
    on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=2100, bearing=45))  # outside the radius
    on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=400), duty=False)  # off duty
    client = as_role("county_coordinator", QIBIN)

    response = client.post("/api/v1/alerts/preview", _alert())

    assert response.status_code == 200, response.content
    assert response.json() == {"recipients": 2}
    assert not Alert.objects.exists()
    assert not Delivery.objects.exists()
    assert not StreamEvent.objects.exists()
    assert not AuditEntry.objects.filter(action="alert_action").exists()


def test_the_preview_and_the_alert_agree_on_the_count(as_role, on_duty):
    for metres in (100, 700, 1500):
        on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=metres, bearing=metres % 360))
    client = as_role("county_coordinator", QIBIN)

    previewed = client.post("/api/v1/alerts/preview", _alert(radius_m=1000)).json()["recipients"]
    raised = client.post("/api/v1/alerts", _alert(radius_m=1000)).json()["recipients"]

    assert previewed == raised == 2


def test_the_preview_of_a_filter_alert_counts_everyone_matching(as_role, make_person):
    for _ in range(3):
        make_person("volunteer", QIBIN_TOWNSHIP)
    make_person("volunteer", XUNXIAN_TOWNSHIP)  # outside the filter
    client = as_role("county_coordinator", QIBIN)

    response = client.post(
        "/api/v1/alerts/preview", _alert(lat=None, lon=None, radius_m=None, area_codes=[QIBIN_TOWNSHIP])
    )

    assert response.json() == {"recipients": 3}


def test_the_preview_never_counts_people_outside_the_jurisdiction(as_role, on_duty):
    # A 浚县 member on duty inside the radius (in 淇县) is not counted for 淇县's coordinator.
    near_line = QIXIAN_CENTRE
    on_duty(XUNXIAN_TOWNSHIP, at=point_at(near_line, metres=100))
    client = as_role("county_coordinator", QIXIAN)

    response = client.post("/api/v1/alerts/preview", _alert(lat=near_line[0], lon=near_line[1]))

    assert response.json() == {"recipients": 0}


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"lat": XUNXIAN_CENTRE[0], "lon": XUNXIAN_CENTRE[1]}, 404, "location_outside_jurisdiction"),
        ({"lat": 39.9, "lon": 116.4}, 422, "location_outside_service_area"),
        ({"radius_m": 60_000}, 422, "invalid_radius"),
        ({"lon": None}, 422, "incomplete_location"),
        ({"lat": None, "lon": None}, 422, "radius_needs_location"),
        ({"title": "  "}, 422, "missing_title"),
        ({"needed": 5000}, 422, "invalid_needed"),
        ({"datum": "wgs72"}, 422, None),
        ({"area_codes": ["410621"]}, 404, "area_outside_jurisdiction"),
        ({"team_ids": [999_999]}, 404, "unknown_team"),
        ({"roles": ["king"]}, 422, "unknown_role"),
        ({"expires_at": "2020-01-01T00:00:00+08:00"}, 422, "invalid_expiry"),
        ({"expires_at": "2099-01-01T08:00:00"}, 422, "invalid_input"),  # no zone: ambiguous
    ],
)
def test_the_preview_refuses_what_raising_would_refuse_with_the_same_error(as_role, overrides, status, code):
    client = as_role("county_coordinator", QIBIN)

    previewed = client.post("/api/v1/alerts/preview", _alert(**overrides))
    raised = client.post("/api/v1/alerts", _alert(**overrides))

    assert previewed.status_code == raised.status_code == status, previewed.content
    assert previewed.json()["code"] == raised.json()["code"]
    if code:
        assert previewed.json()["code"] == code
    assert set(previewed.json()) == {"code", "message", "details"}


def test_people_who_may_not_raise_alerts_may_not_preview_them(as_role):
    client = as_role("station_head", QIBIN)

    response = client.post("/api/v1/alerts/preview", _alert())

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_the_preview_needs_a_login(anon):
    assert anon.post("/api/v1/alerts/preview", _alert()).status_code == 401


def test_the_preview_is_documented_with_its_errors(anon):
    schema = anon.get("/api/v1/openapi.json").json()

    responses = schema["paths"]["/api/v1/alerts/preview"]["post"]["responses"]

    assert set(responses) >= {"200", "401", "403", "404", "422"}
