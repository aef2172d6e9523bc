"""`/ws/v1/dashboard`: ephemeral updates and presence, exactly for the coordinator's jurisdiction."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from realtime.events import Event, announce
from realtime.presence import connected_person_ids, counts_by_area
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN, XUNXIAN_TOWNSHIP
from tests.realtime.conftest import token_for

pytestmark = pytest.mark.django_db(transaction=True)


class Position(Event):
    type: str = "test.position"
    person_id: int
    lat: float

    def coalesce_key(self) -> str:
        return f"position:{self.person_id}"


async def announce_now(event: Event, area_code: str) -> None:
    await database_sync_to_async(announce)(event, area_code=area_code)


@pytest.fixture
def qixian_dashboard_token(make_person):
    return token_for(make_person("county_coordinator", QIXIAN))


@pytest.fixture
def xunxian_dashboard_token(make_person):
    return token_for(make_person("county_coordinator", XUNXIAN))


async def test_a_qixian_dashboard_never_receives_events_about_xunxian(qixian_dashboard_token, sockets):
    dashboard = await sockets("/ws/v1/dashboard")
    assert await dashboard.hello(qixian_dashboard_token) == {"type": "welcome", "seq": 0}

    await announce_now(Position(person_id=1, lat=35.6), XUNXIAN_TOWNSHIP)
    await announce_now(Position(person_id=2, lat=35.6), XUNXIAN)
    await announce_now(Position(person_id=3, lat=35.7), QIXIAN_TOWNSHIP)

    frame = await dashboard.receive_until("event")
    assert frame == {"type": "event", "event": {"type": "test.position", "person_id": 3, "lat": 35.7}}
    assert "seq" not in frame
    await asyncio.sleep(0.6)
    assert all(f["type"] != "event" for f in await drain(dashboard))


async def test_map_updates_for_the_same_key_are_coalesced_to_the_latest(settings, qixian_dashboard_token, sockets):
    settings.DASHBOARD_UPDATES_PER_SECOND = 2
    dashboard = await sockets("/ws/v1/dashboard")
    await dashboard.hello(qixian_dashboard_token)

    for n in range(20):
        await announce_now(Position(person_id=7, lat=35.0 + n / 100), QIXIAN_TOWNSHIP)
    await asyncio.sleep(0.7)

    events = [f for f in await drain(dashboard) if f["type"] == "event"]
    assert 1 <= len(events) <= 2
    assert events[-1]["event"]["lat"] == 35.19


async def test_a_volunteer_cannot_open_a_dashboard(make_person, sockets):
    person = await database_sync_to_async(make_person)("volunteer")
    token = await database_sync_to_async(token_for)(person)
    dashboard = await sockets("/ws/v1/dashboard")

    assert await dashboard.hello(token) == {"type": "error", "code": "forbidden"}
    assert await dashboard.closed_with() == 4403


async def test_a_dashboard_sees_who_is_connected_in_its_jurisdiction_only(
    make_person, qixian_dashboard_token, xunxian_dashboard_token, sockets
):
    in_qixian = await database_sync_to_async(make_person)("volunteer", QIXIAN_TOWNSHIP)
    in_xunxian = await database_sync_to_async(make_person)("liaison", XUNXIAN_TOWNSHIP)
    qixian = await sockets("/ws/v1/dashboard")
    await qixian.hello(qixian_dashboard_token)
    xunxian = await sockets("/ws/v1/dashboard")
    await xunxian.hello(xunxian_dashboard_token)

    for person in (in_qixian, in_xunxian):
        phone = await sockets()
        await phone.hello(await database_sync_to_async(token_for)(person))

    assert await presence_until(qixian, {QIXIAN_TOWNSHIP: 1}) == {QIXIAN_TOWNSHIP: 1}
    assert await presence_until(xunxian, {XUNXIAN_TOWNSHIP: 1}) == {XUNXIAN_TOWNSHIP: 1}
    connected = await asyncio.to_thread(connected_person_ids)
    assert {in_qixian.pk, in_xunxian.pk} <= connected
    assert await asyncio.to_thread(counts_by_area, prefixes=(QIXIAN,)) == {QIXIAN_TOWNSHIP: 1}


async def test_a_closed_phone_leaves_the_presence(make_person, sockets):
    person = await database_sync_to_async(make_person)("volunteer", QIXIAN_TOWNSHIP)
    phone = await sockets()
    await phone.hello(await database_sync_to_async(token_for)(person))
    await asyncio.sleep(1.2)
    assert person.pk in await asyncio.to_thread(connected_person_ids)

    await phone.close()

    assert person.pk not in await asyncio.to_thread(connected_person_ids)


async def drain(socket) -> list[dict]:
    frames = []
    for _ in range(100):
        if await socket.nothing(0.05):
            break
        frames.append(await socket.receive())
    return frames


async def presence_until(socket, expected: dict[str, int], timeout: float = 5) -> dict[str, int]:
    last: dict[str, int] = {}
    async with asyncio.timeout(timeout):
        for _ in range(100):
            last = (await socket.receive_until("presence", timeout))["online"]
            if last == expected:
                break
    return last
