"""PostgreSQL becomes unreachable under a running server: a clear, retryable 503, and recovery when it returns.

The server reaches PostgreSQL only through a loopback TCP proxy that the test
cuts (every connection dropped, new ones refused) and restores; the shared
PostgreSQL itself stays up.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit, urlunsplit

import pytest
import websockets

from tests.faults.harness import PASSWORD, Reply, Server, TcpProxy, base_env, http, running, seed

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def hello(url: str, token: str) -> tuple[list[dict], int | None]:
    """Say hello; return the frames received until the server closes, and the close code."""
    async with websockets.connect(url, open_timeout=5) as ws:
        await ws.send(json.dumps({"type": "hello", "token": token, "since": 0}))
        frames = []
        try:
            async with asyncio.timeout(15):
                async for raw in ws:
                    frames.append(json.loads(raw))
                    if frames[-1]["type"] == "welcome":
                        break
        except websockets.ConnectionClosed:
            pass
        return frames, ws.close_code


def page_with_session(url: str) -> Reply:
    """GET a page with a session cookie, so that the session (in the database) is loaded."""
    request = urllib.request.Request(url, headers={"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            reply, headers = Reply((response.status, response.read().decode())), response.headers
    except urllib.error.HTTPError as exc:
        reply, headers = Reply((exc.code, exc.read().decode())), exc.headers
    reply.headers = headers
    return reply


def test_the_api_answers_a_retryable_503_while_postgresql_is_unreachable_and_recovers_when_it_is_back(
    postgres_database, tmp_path
):
    # given one server whose only way to PostgreSQL is a proxy the test controls, and a member's token
    seeded = seed(base_env(DATABASE_URL=postgres_database), {"phones": {"count": 1, "password": True}})
    phone = seeded["phones"][0]
    real = urlsplit(postgres_database)
    proxy = TcpProxy(real.port or 5432, real.hostname or "127.0.0.1")
    proxy.open()
    through_proxy = urlunsplit(real._replace(netloc=f"{real.username}@127.0.0.1:{proxy.port}"))
    server = Server(base_env(DATABASE_URL=through_proxy, DATABASE_CONNECT_TIMEOUT="2", DEBUG="false"), tmp_path)
    with running(proxy, server):
        server.start()
        assert http("GET", f"{server.http}/api/v1/me", token=phone["token"]).status == 200

        # when PostgreSQL becomes unreachable
        proxy.cut()

        # then the API says so clearly, as JSON with a Retry-After, instead of a 500
        me = http("GET", f"{server.http}/api/v1/me", token=phone["token"])
        assert me.status == 503, me
        assert me.body["code"] == "database_unavailable"
        assert me.body["message"]
        assert int(me.headers["Retry-After"]) > 0
        login = http(
            "POST", f"{server.http}/api/v1/auth/token", body={"username": phone["username"], "password": PASSWORD}
        )
        assert (login.status, login.body["code"]) == (503, "database_unavailable"), login
        alerts = http("GET", f"{server.http}/api/v1/alerts", token=phone["token"])
        assert (alerts.status, alerts.body["code"]) == (503, "database_unavailable"), alerts
        # a page (the database is first needed in a middleware, outside the API) says it plainly too
        page = page_with_session(f"{server.http}/admin/")
        assert page.status == 503, page
        assert page.headers["Retry-After"]
        # and a phone's hello gets the protocol's `unavailable` and close 4503
        frames, code = asyncio.run(hello(server.ws, phone["token"]))
        assert frames == [{"type": "error", "code": "unavailable"}]
        assert code == 4503

        # when PostgreSQL is reachable again, the API is back within seconds (the pool's next reconnect attempt)
        proxy.open()
        statuses = []
        for _ in range(20):
            statuses.append(http("GET", f"{server.http}/api/v1/me", token=phone["token"]).status)
            if statuses[-1] == 200:
                break
            time.sleep(0.5)
        assert statuses[-1] == 200, statuses
        assert set(statuses) <= {200, 503}
        login = http(
            "POST", f"{server.http}/api/v1/auth/token", body={"username": phone["username"], "password": PASSWORD}
        )
        assert login.status == 200, login
        frames, _ = asyncio.run(hello(server.ws, phone["token"]))
        assert frames == [{"type": "welcome", "seq": 0}]
        log = server.tail(1_000_000)
        assert "unhandled error" not in log  # core.api's 500 handler never ran
        assert "Internal Server Error" not in log
