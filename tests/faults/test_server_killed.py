"""One of two server processes is killed (SIGKILL): its phones reconnect to the other and replay what they missed.

Two real `manage.py serve` processes share a SQLite file and Redis. Each phone
is a protocol-following client (tests/faults/harness.Phone): it knows both
addresses, as it would reach them through the load balancer, and reconnects
with `since` = the last seq it processed.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.faults.harness import Phone, Server, base_env, http, running, seed, until

pytestmark = [pytest.mark.redis, pytest.mark.slow]

TOWNSHIP = "410611001"  # 淇滨区 金山街道


def raise_alert(server: Server, token: str, n: int) -> int:
    reply = http(
        "POST",
        f"{server.http}/api/v1/alerts",
        token=token,
        body={"kind": "missing_person", "title": f"Missing child {n}", "area_codes": [TOWNSHIP], "needed": 0},
    )
    assert reply.status == 201, reply
    assert reply.body["recipients"] == 4
    return int(reply.body["id"])


def test_the_phones_of_a_killed_server_reconnect_to_the_other_and_replay_what_they_missed(redis_url, tmp_path):
    env = base_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        REDIS_URL=redis_url,
        ZHENGQI_REDIS_PREFIX=f"zqfault{uuid.uuid4().hex[:8]}",
    )
    seeded = seed(
        env,
        {
            "staff": [{"username": "coordinator", "role": "county_coordinator", "area": "410611"}],
            "phones": {"count": 4, "homes": [TOWNSHIP]},
        },
    )
    coordinator = seeded["staff"]["coordinator"]
    doomed, survivor = Server(env, tmp_path), Server(env, tmp_path)
    with running(doomed, survivor):
        doomed.start()
        survivor.start()

        async def scenario() -> tuple[list[Phone], list[Phone], list[int]]:
            # given two phones on each server, all connected
            on_doomed = [
                Phone(f"a{i}", p["token"], [doomed.ws, survivor.ws]).start() for i, p in enumerate(seeded["phones"][:2])
            ]
            on_survivor = [
                Phone(f"b{i}", p["token"], [survivor.ws, doomed.ws]).start() for i, p in enumerate(seeded["phones"][2:])
            ]
            phones = on_doomed + on_survivor
            try:
                await until(lambda: all(p.connected.is_set() for p in phones), timeout=20, what="4 phones connected")
                ids = [await asyncio.to_thread(raise_alert, survivor, coordinator, n) for n in (1, 2, 3)]
                await until(lambda: all(len(p.events) == 3 for p in phones), timeout=20, what="3 alerts everywhere")

                # when one server is killed outright, and alerts are raised while its phones are away
                for phone in on_doomed:
                    phone.may_reconnect.clear()  # hold them back so that what follows is surely missed
                await asyncio.to_thread(doomed.kill)
                await until(lambda: not any(p.connected.is_set() for p in on_doomed), timeout=20, what="disconnects")
                ids += [await asyncio.to_thread(raise_alert, survivor, coordinator, n) for n in (4, 5, 6)]
                await until(lambda: all(len(p.events) == 6 for p in on_survivor), timeout=20, what="live on B")
                for phone in on_doomed:
                    phone.may_reconnect.set()

                # then they come back on the other server and replay; and live delivery carries on for all
                await until(lambda: all(len(p.events) == 6 for p in phones), timeout=30, what="replay after kill")
                ids += [await asyncio.to_thread(raise_alert, survivor, coordinator, n) for n in (7, 8)]
                await until(lambda: all(len(p.events) == 8 for p in phones), timeout=20, what="8 alerts everywhere")
                await asyncio.sleep(0.5)  # anything extra (a duplicate) would show up by now
                return on_doomed, on_survivor, ids
            finally:
                for phone in phones:
                    await phone.stop()

        on_doomed, on_survivor, ids = asyncio.run(scenario())

    for phone in on_doomed + on_survivor:
        assert [e["alert_id"] for e in phone.of_type("alert.created")] == ids, phone.name
        assert [e["seq"] for e in phone.events] == list(range(1, 9)), phone.name
        assert (phone.duplicates, phone.gaps) == (0, 0), phone.name
    for phone in on_doomed:
        assert phone.connections[0] == doomed.ws
        assert phone.connections[-1] == survivor.ws  # it moved over
        missed = phone.events[3:6]
        assert all(e["replayed"] and e["url"] == survivor.ws for e in missed), missed
    for phone in on_survivor:
        assert phone.connections == [survivor.ws]  # never disturbed
        assert not any(e["replayed"] for e in phone.events)
