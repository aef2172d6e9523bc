from __future__ import annotations

import prcoords
import pytest

from core.geo import LatLon, distance_m
from core.models import DutyStatus
from core.positions import positions
from tests.conftest import QIBIN_TOWNSHIP

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_positions")]

TRUTH = LatLon(35.774691, 114.240340)  # 金山街道, WGS-84


@pytest.fixture
def member(make_person):
    return make_person("volunteer", QIBIN_TOWNSHIP)


def test_going_on_duty_is_stored_and_reported(member, login):
    client = login(member)

    response = client.send("put", "/api/v1/me/duty", {"on_duty": True})

    assert response.status_code == 200
    assert response.json()["on_duty"] is True
    assert DutyStatus.objects.get(person=member).on_duty is True


def test_a_location_is_refused_while_off_duty(member, login):
    client = login(member)

    response = client.send("put", "/api/v1/me/location", {"lat": TRUTH.lat, "lon": TRUTH.lon})

    assert response.status_code == 409
    assert response.json()["code"] == "not_on_duty"
    assert positions().get(member.pk) is None


def test_a_gcj02_fix_from_an_amap_phone_lands_within_1_m_of_the_wgs84_truth(member, login):
    client = login(member)
    client.send("put", "/api/v1/me/duty", {"on_duty": True})
    amap = prcoords.wgs_gcj((TRUTH.lat, TRUTH.lon))  # what Amap's SDK reports at that spot

    response = client.send(
        "put", "/api/v1/me/location", {"lat": amap.lat, "lon": amap.lon, "datum": "gcj02", "accuracy_m": 8}
    )

    assert response.status_code == 200
    stored = client.get("/api/v1/me/location").json()
    assert distance_m(LatLon(stored["lat"], stored["lon"]), TRUTH) < 1.0
    assert distance_m(LatLon(amap.lat, amap.lon), TRUTH) > 100  # the offset really was there
    assert stored["accuracy_m"] == 8


def test_a_bd09_fix_from_a_baidu_phone_lands_within_1_m_of_the_wgs84_truth(member, login):
    client = login(member)
    client.send("put", "/api/v1/me/duty", {"on_duty": True})
    baidu = prcoords.wgs_bd((TRUTH.lat, TRUTH.lon))

    client.send("put", "/api/v1/me/location", {"lat": baidu.lat, "lon": baidu.lon, "datum": "bd09"})

    stored = client.get("/api/v1/me/location").json()
    assert distance_m(LatLon(stored["lat"], stored["lon"]), TRUTH) < 1.0


def test_a_point_outside_mainland_china_passes_through_unchanged(member, login):
    client = login(member)
    client.send("put", "/api/v1/me/duty", {"on_duty": True})

    client.send("put", "/api/v1/me/location", {"lat": 51.5007, "lon": -0.1246, "datum": "gcj02"})

    stored = client.get("/api/v1/me/location").json()
    assert (stored["lat"], stored["lon"]) == (51.5007, -0.1246)


def test_going_off_duty_deletes_the_stored_fix(member, login, django_capture_on_commit_callbacks):
    client = login(member)
    client.send("put", "/api/v1/me/duty", {"on_duty": True})
    client.send("put", "/api/v1/me/location", {"lat": TRUTH.lat, "lon": TRUTH.lon})

    with django_capture_on_commit_callbacks(execute=True):
        client.send("put", "/api/v1/me/duty", {"on_duty": False})

    assert positions().get(member.pk) is None
    response = client.get("/api/v1/me/location")
    assert response.status_code == 404
    assert response.json()["code"] == "no_location"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"lat": 91.0, "lon": 114.2}, "invalid_coordinates"),
        ({"lat": 35.7, "lon": -181.0}, "invalid_coordinates"),
        ({"lat": 35.7, "lon": 114.2, "datum": "mars"}, "unknown_datum"),
        ({"lat": 35.7, "lon": 114.2, "accuracy_m": -1}, "invalid_accuracy"),
        ({"lat": 35.7, "lon": 114.2, "at": "2020-01-01T00:00:00+08:00"}, "stale_fix"),
    ],
)
def test_a_bad_fix_gets_a_specific_code_and_is_not_stored(member, login, body, code):
    client = login(member)
    client.send("put", "/api/v1/me/duty", {"on_duty": True})

    response = client.send("put", "/api/v1/me/location", body)

    assert response.status_code == 422
    assert response.json()["code"] == code
    assert positions().get(member.pk) is None


def test_a_login_without_a_member_record_cannot_go_on_duty(db):
    from tests.conftest import ApiClient
    from tests.factories import UserFactory

    UserFactory(username="integrator")
    token = ApiClient().post("/api/v1/auth/token", {"username": "integrator", "password": "correct-horse-battery"})
    client = ApiClient(token.json()["token"])

    response = client.send("put", "/api/v1/me/duty", {"on_duty": True})

    assert response.status_code == 404
    assert response.json()["code"] == "no_member_record"


def test_a_fix_taken_at_a_time_without_a_zone_is_a_422_naming_the_field_and_is_not_stored(member, login):
    client = login(member)
    client.send("put", "/api/v1/me/duty", {"on_duty": True})

    response = client.send(
        "put", "/api/v1/me/location", {"lat": TRUTH.lat, "lon": TRUTH.lon, "at": "2026-12-01T08:00:00"}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert response.json()["details"] == [
        {
            "loc": ["body", "payload", "at"],
            "type": "timezone_aware",
            "msg": "a time zone is required, e.g. 2026-05-01T09:00:00+08:00",
        }
    ]
    assert positions().get(member.pk) is None
