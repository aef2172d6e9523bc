"""Redis is stopped in the middle of a burst of 100 alerts and started again.

Two real server processes share a SQLite file and a private redis-server that
the test kills (SIGKILL: no goodbye to anyone) after the 30th alert and starts
again, empty, on the same port 20 alerts later. The alerts go through the real
`POST /api/v1/alerts`. Every phone must end up with all 100, each once and in
order (live, or by the catch-up/replay after the live feed came back), and the
API must keep answering throughout; what needs live positions (a fix, a radius alert) gets a
503 `positions_unavailable` during the outage. (tests/realtime/test_redis_outage.py covers
one in-process socket across a cut; this is the burst, with real processes.)
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest

from tests.faults.harness import Phone, RedisServer, Server, base_env, http, running, seed, until

pytestmark = [pytest.mark.redis, pytest.mark.slow]

TOWNSHIP = "410611001"  # 淇滨区 金山街道
ALERTS = 100
STOP_AFTER, START_AFTER = 30, 50
JINSHAN = {"lat": 35.7747, "lon": 114.2403}  # inside the township


def test_every_alert_of_a_burst_reaches_every_phone_once_although_redis_was_stopped_and_restarted_midway(tmp_path):
    redis = RedisServer().start()
    env = base_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        REDIS_URL=redis.url,
        ZHENGQI_REDIS_PREFIX=f"zqfault{uuid.uuid4().hex[:8]}",
    )
    seeded = seed(
        env,
        {
            "staff": [{"username": "coordinator", "role": "county_coordinator", "area": "410611"}],
            "phones": {"count": 6, "homes": [TOWNSHIP], "on_duty": 1},
        },
    )
    coordinator, me = seeded["staff"]["coordinator"], seeded["phones"][0]["token"]
    servers = [Server(env, tmp_path), Server(env, tmp_path)]
    with running(redis, *servers):
        for server in servers:
            server.start()

        def needing_positions(server: Server) -> list[tuple[int, str, str]]:
            """A fix from the on-duty phone and a radius alert: (status, code, Retry-After) of each."""
            fix = http("PUT", f"{server.http}/api/v1/me/location", token=me, body=JINSHAN)
            radius = http(
                "POST",
                f"{server.http}/api/v1/alerts",
                token=coordinator,
                body={"kind": "fire", "title": "Radius", **JINSHAN, "radius_m": 2000},
            )
            return [
                (r.status, r.body.get("code", "") if isinstance(r.body, dict) else "", r.headers.get("Retry-After", ""))
                for r in (fix, radius)
            ]

        def burst() -> tuple[list[int], list[int], list[int]]:
            """100 alerts, alternating servers; Redis dies after the 30th and is back after the 50th."""
            ids, posts, probes = [], [], []
            outage = threading.Event()

            def probe() -> None:  # other API traffic while Redis is away
                for server in servers:
                    positioned.extend(needing_positions(server))
                for _ in range(10_000):
                    if not outage.is_set():
                        return
                    for server in servers:
                        probes.append(http("GET", f"{server.http}/api/v1/me", token=me).status)
                    time.sleep(0.05)

            prober = threading.Thread(target=probe)
            for n in range(1, ALERTS + 1):
                if n == STOP_AFTER + 1:
                    redis.stop()
                    outage.set()
                    prober.start()
                if n == START_AFTER + 1:
                    # The outage lasts until both servers have answered other traffic a while (bounded).
                    for _ in range(600):
                        if len(probes) >= 40:
                            break
                        time.sleep(0.05)
                    outage.clear()
                    prober.join(timeout=30)
                    redis.start()
                started = time.monotonic()
                reply = http(
                    "POST",
                    f"{servers[n % 2].http}/api/v1/alerts",
                    token=coordinator,
                    body={"kind": "fire", "title": f"Fire {n}", "area_codes": [TOWNSHIP], "needed": 0},
                )
                took.append(time.monotonic() - started)
                posts.append(reply.status)
                if reply.status == 201:
                    ids.append(int(reply.body["id"]))
                else:
                    refusals.append((n, reply.status, reply.body))
            return ids, posts, probes

        async def scenario() -> tuple[list[Phone], list[int], list[int], list[int]]:
            phones = [
                Phone(f"p{i}", p["token"], [servers[i % 2].ws, servers[(i + 1) % 2].ws]).start()
                for i, p in enumerate(seeded["phones"])
            ]
            try:
                await until(lambda: all(p.connected.is_set() for p in phones), timeout=20, what="6 phones connected")
                ids, posts, probes = await asyncio.to_thread(burst)
                await until(
                    lambda: all(len(p.events) >= len(ids) for p in phones), timeout=60, what="every alert everywhere"
                )
                await asyncio.sleep(1)  # a duplicate would arrive by now
                return phones, ids, posts, probes
            finally:
                for phone in phones:
                    await phone.stop()

        positioned: list[tuple[int, str, str]] = []
        refusals: list[tuple[int, int, object]] = []
        took: list[float] = []
        phones, ids, posts, probes = asyncio.run(scenario())
        # Redis is back: the same fix is stored again.
        fix_after = http("PUT", f"{servers[0].http}/api/v1/me/location", token=me, body=JINSHAN)

    # HTTP kept answering: every alert was raised, every other request answered
    assert posts == [201] * ALERTS, refusals
    # ...without keeping the coordinator waiting: each alert takes milliseconds, Redis or not. (Before
    # the logs' tracebacks were made plain, every one of the outage's alerts took 7-12 s.)
    slowest = max(range(ALERTS), key=lambda i: took[i])
    assert took[slowest] < 5, f"alert {slowest + 1} took {took[slowest]:.1f} s"
    assert len(probes) >= 40
    assert set(probes) == {200}
    # what needs live positions answered 503 positions_unavailable on both servers, and wrote nothing
    assert positioned == [(503, "positions_unavailable", "5")] * 4
    assert fix_after.status == 200
    # every phone has every alert exactly once, in order, with an unbroken stream
    for phone in phones:
        assert [e["alert_id"] for e in phone.of_type("alert.created")] == ids, phone.name
        assert [e["seq"] for e in phone.events] == list(range(1, ALERTS + 1)), phone.name
        assert (phone.duplicates, phone.gaps) == (0, 0), phone.name
