"""The sample deployment works: docs/deploy/nginx.conf in front of 2 server processes, Journey 1 through it.

nginx runs the sample file itself, with only its ports, certificate paths and
upstream addresses substituted (a self-signed certificate for 127.0.0.1 made
here; see tests/deploy/nginx_stack.py). Two `manage.py serve` processes run with production settings
(ZHENGQI_ENV=production) on PostgreSQL and Redis. Everything, HTTP and
WebSocket, goes through nginx over TLS.

Journey 1 (the front-end issue's, over the API and the sockets until the
pages land): a 淇滨区 coordinator raises a 2 km alert; two on-duty phones
inside the radius, each connected to a different process, get it; one accepts;
the coordinator's board shows it (over HTTP and on the dashboard socket); the
coordinator cancels; both phones get the cancellation.
"""

from __future__ import annotations

import asyncio
import http.client as http_client
import json
import ssl
import uuid
from typing import Any

import pytest
import websockets

from tests.deploy.nginx_stack import Nginx, processes_of, production_env, self_signed
from tests.faults.harness import PASSWORD, Phone, Server, http, running, seed, until

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(300)]

ALERT_AT = (35.7470, 114.2860)  # 淇滨区, 九州路街道
# Inside 2 km of the alert: ~330 m and ~890 m north of it.
PHONES_AT = [(35.7500, 114.2860), (35.7550, 114.2860)]


def test_journey_1_through_nginx_in_front_of_two_processes(postgres_database, redis_url, tmp_path):
    prefix = f"zqdeploy{uuid.uuid4().hex[:8]}"
    env = production_env(postgres_database, redis_url, prefix)
    seed(
        env,
        {
            "staff": [{"username": "qibin_coordinator", "role": "county_coordinator", "area": "410611"}],
            "phones": {"count": 2, "prefix": "qibin_volunteer", "homes": ["410611002"], "password": True},
        },
    )
    cert, key = self_signed(tmp_path)
    tls = ssl.create_default_context(cafile=str(cert))
    backends = [Server(env, tmp_path), Server(env, tmp_path)]
    nginx = Nginx(tmp_path, [b.port for b in backends], cert, key)
    with running(*backends, nginx):
        for backend in backends:
            backend.start()
        nginx.start()
        site = f"https://127.0.0.1:{nginx.https_port}"
        ws_base = f"wss://127.0.0.1:{nginx.https_port}/ws/v1"

        def call(method: str, path: str, token: str | None = None, body: Any = None) -> Any:
            reply = http(method, f"{site}/api/v1{path}", token=token, body=body, context=tls)
            assert reply.status in (200, 201), (method, path, reply)
            return reply.body

        def login(username: str) -> str:
            return str(call("POST", "/auth/token", body={"username": username, "password": PASSWORD})["token"])

        # plain HTTP is redirected to HTTPS by the sample
        plain = http_client.HTTPConnection("127.0.0.1", nginx.http_port, timeout=10)
        plain.request("GET", "/api/v1/me")
        redirect = plain.getresponse()
        assert redirect.status == 301
        assert redirect.getheader("Location") == "https://127.0.0.1/api/v1/me"
        plain.close()
        coordinator = login("qibin_coordinator")
        volunteers = [login(f"qibin_volunteer{i:05d}") for i in range(2)]
        for token, (lat, lon) in zip(volunteers, PHONES_AT, strict=True):
            call("PUT", "/me/duty", token, {"on_duty": True})
            call("PUT", "/me/location", token, {"lat": lat, "lon": lon, "datum": "wgs84", "accuracy_m": 10})

        async def journey() -> dict[str, Any]:
            phones = [Phone(f"v{i}", t, [f"{ws_base}/phone"], context=tls) for i, t in enumerate(volunteers)]
            dashboard_frames: list[dict[str, Any]] = []
            for phone in phones:  # one after the other: least_conn puts the second on the other process
                phone.start()
                await until(phone.connected.is_set, timeout=15, what=f"{phone.name} connected")
            async with websockets.connect(f"{ws_base}/dashboard", ssl=tls) as dashboard:
                await dashboard.send(json.dumps({"type": "hello", "token": coordinator, "since": 0}))
                assert json.loads(await asyncio.wait_for(dashboard.recv(), 10))["type"] == "welcome"

                async def listen() -> None:
                    async for raw in dashboard:
                        dashboard_frames.append(json.loads(raw))

                listener = asyncio.create_task(listen())
                try:
                    where = await asyncio.to_thread(processes_of, redis_url, prefix, len(phones))
                    alert = await asyncio.to_thread(
                        call,
                        "POST",
                        "/alerts",
                        coordinator,
                        {
                            "kind": "violent_crime",
                            "title": "Robbery in progress",
                            "lat": ALERT_AT[0],
                            "lon": ALERT_AT[1],
                            "radius_m": 2000,
                            "needed": 1,
                        },
                    )
                    await until(lambda: all(p.of_type("alert.created") for p in phones), timeout=10, what="the alert")
                    await asyncio.to_thread(
                        call, "POST", f"/alerts/{alert['id']}/responses", volunteers[0], {"state": "accepted"}
                    )
                    await until(
                        lambda: any(
                            f.get("event", {}).get("type") == "alert.board"
                            and f["event"]["responses"].get("accepted") == 1
                            for f in dashboard_frames
                        ),
                        timeout=10,
                        what="the board update on the dashboard",
                    )
                    board = await asyncio.to_thread(call, "GET", f"/alerts/{alert['id']}/board", coordinator)
                    await asyncio.to_thread(
                        call, "POST", f"/alerts/{alert['id']}/cancel", coordinator, {"reason": "Suspect caught"}
                    )
                    await until(
                        lambda: all(p.of_type("alert.cancelled") for p in phones), timeout=10, what="the cancellation"
                    )
                    return {"alert": alert, "board": board, "phones": phones, "where": where}
                finally:
                    listener.cancel()
                    for phone in phones:
                        await phone.stop()

        result = asyncio.run(journey())

    alert, board, phones = result["alert"], result["board"], result["phones"]
    assert alert["recipients"] == 2
    # each phone was on its own process
    assert len(set(result["where"].values())) == 2, result["where"]
    for phone in phones:
        (created,) = phone.of_type("alert.created")
        assert created["alert_id"] == alert["id"]
        assert created["distance_m"] is not None
        assert created["distance_m"] <= 2000
        (cancelled,) = phone.of_type("alert.cancelled")
        assert cancelled == {"type": "alert.cancelled", "alert_id": alert["id"], "reason": "Suspect caught"}
        assert (phone.duplicates, phone.gaps) == (0, 0)
    assert board["by_state"].get("accepted") == 1
    assert sorted(row["state"] or "" for row in board["recipients"]) == ["", "accepted"]
