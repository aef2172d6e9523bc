"""A phone's `location` frame: the same service, checks and error codes as PUT /api/v1/me/location."""

from __future__ import annotations

import prcoords
import pytest
from channels.db import database_sync_to_async

from core.geo import LatLon, distance_m
from core.positions import positions
from core.services.duty import duty_set
from tests.conftest import QIBIN_TOWNSHIP, QIXIAN
from tests.realtime.conftest import token_for
from tests.redis_outage import redis_down

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clean_positions")]

TRUTH = LatLon(35.774691, 114.240340)  # 金山街道, WGS-84


@pytest.fixture
def member(make_person):
    person = make_person("volunteer", QIBIN_TOWNSHIP)
    return person, token_for(person)


@pytest.fixture
def on_duty_member(member):
    duty_set(actor=member[0].user, on_duty=True)
    return member


async def stored_fix(person_id: int):
    # The frame's write runs on another thread; a ping answered after it proves it finished.
    return await database_sync_to_async(positions().get)(person_id)


async def test_a_gcj02_location_frame_stores_the_fix_within_1_m_of_the_wgs84_truth(on_duty_member, sockets):
    person, token = on_duty_member
    phone = await sockets()
    await phone.hello(token)
    amap = prcoords.wgs_gcj((TRUTH.lat, TRUTH.lon))  # what Amap's SDK reports at that spot

    await phone.send({"type": "location", "lat": amap.lat, "lon": amap.lon, "datum": "gcj02", "accuracy_m": 8})
    await phone.send({"type": "ping"})

    assert await phone.receive_until("pong") == {"type": "pong"}
    fix = await stored_fix(person.pk)
    assert fix is not None
    assert distance_m(LatLon(fix.lat, fix.lon), TRUTH) < 1.0
    assert fix.accuracy_m == 8
    assert distance_m(LatLon(amap.lat, amap.lon), TRUTH) > 100  # the offset really was there


async def test_a_location_frame_while_off_duty_gets_the_services_error_and_the_socket_stays(member, sockets):
    person, token = member
    phone = await sockets()
    await phone.hello(token)

    await phone.send({"type": "location", "lat": TRUTH.lat, "lon": TRUTH.lon})

    error = await phone.receive_until("error")
    assert error["code"] == "not_on_duty"
    assert error["frame"] == "location"
    assert error["message"]
    assert await stored_fix(person.pk) is None
    await phone.send({"type": "ping"})
    assert await phone.receive_until("pong") == {"type": "pong"}


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"lat": 95.0, "lon": 114.2}, "invalid_coordinates"),
        ({"lat": 35.7, "lon": 114.2, "datum": "utm"}, "unknown_datum"),
        ({"lat": 35.7, "lon": 114.2, "accuracy_m": -1}, "invalid_accuracy"),
        ({"lat": 35.7, "lon": 114.2, "at": "2020-01-01T00:00:00+08:00"}, "stale_fix"),
        ({"lat": "35.7", "lon": 114.2}, "invalid_frame"),
        ({"lat": 35.7}, "invalid_frame"),
        ({"lat": 35.7, "lon": 114.2, "at": "yesterday"}, "invalid_frame"),
        ({"lat": 35.7, "lon": 114.2, "at": "2026-12-01T10:00:00"}, "invalid_frame"),  # no zone: ambiguous
    ],
)
async def test_a_bad_location_frame_gets_the_same_code_as_the_http_api(on_duty_member, sockets, fields, code):
    person, token = on_duty_member
    phone = await sockets()
    await phone.hello(token)

    await phone.send({"type": "location", **fields})

    assert (await phone.receive_until("error"))["code"] == code
    assert await stored_fix(person.pk) is None


async def test_a_dashboard_socket_does_not_take_location_frames(make_person, sockets):
    coordinator = await database_sync_to_async(make_person)("county_coordinator", QIXIAN)
    token = await database_sync_to_async(token_for)(coordinator)
    dashboard = await sockets("/ws/v1/dashboard")
    await dashboard.hello(token)

    await dashboard.send({"type": "location", "lat": TRUTH.lat, "lon": TRUTH.lon})

    assert (await dashboard.receive_until("error"))["code"] == "unknown_type"


async def test_location_frames_count_against_the_frame_rate_limit(settings, on_duty_member, sockets):
    settings.WS_MAX_FRAMES_PER_SECOND = 2
    _person, token = on_duty_member
    phone = await sockets()
    await phone.hello(token)

    for _ in range(8):
        await phone.send({"type": "location", "lat": TRUTH.lat, "lon": TRUTH.lon})

    assert (await phone.receive_until("error"))["code"] == "flood"
    assert await phone.closed_with() == 4429


async def test_a_location_frame_while_the_position_store_is_down_gets_positions_unavailable_and_the_socket_stays(
    on_duty_member, sockets
):
    person, token = on_duty_member
    phone = await sockets()
    await phone.hello(token)

    with redis_down(only_positions=True):
        await phone.send({"type": "location", "lat": TRUTH.lat, "lon": TRUTH.lon})
        error = await phone.receive_until("error")

    assert (error["code"], error["frame"]) == ("positions_unavailable", "location")
    assert error["message"]
    await phone.send({"type": "ping"})
    assert await phone.receive_until("pong") == {"type": "pong"}
    await phone.send({"type": "location", "lat": TRUTH.lat, "lon": TRUTH.lon})  # back: stored again
    await phone.send({"type": "ping"})
    await phone.receive_until("pong")
    assert (await stored_fix(person.pk)) is not None
