"""Journey 1 in the browser through the sample deployment: Chromium talks only to nginx (docs/deploy/nginx.conf,
TLS with a self-signed certificate for 127.0.0.1) in front of 2 production server processes on PostgreSQL and
Redis (tests/deploy/nginx_stack.py).

The same journey as tests/web/test_journey_alert.py (tests/web/journeys.py): two phones on duty, one socket
on each process; the coordinator raises a 2 km alert on the dashboard map; both phones ring; one accepts and
the board shows it; the coordinator cancels and both phones show it. The pages are as strict as in
tests/web: anything but loopback is blocked, and a page error or a CSP violation fails the test.
"""

from __future__ import annotations

import re
import ssl
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import JINSHAN
from tests.deploy.nginx_stack import Nginx, collect_static, production_env, self_signed
from tests.faults.harness import PASSWORD, Server, free_port, http, running, seed
from tests.web.conftest import sign_in
from tests.web.journeys import phone_on_duty, raise_accept_cancel
from tests.web.phone_support import eventually, point_at

pytestmark = [
    pytest.mark.browser,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.timeout(300),
]

COORDINATOR = "qibin_coordinator"
SCENE = point_at(JINSHAN, metres=300, bearing=200)
PHONES_AT = [point_at(SCENE, metres=700, bearing=0), point_at(SCENE, metres=900, bearing=90)]
# The browser accepts the self-signed certificate; everything else about the pages is as in tests/web.
TLS_PAGE = {"ignore_https_errors": True}


def _presence(redis_url: str, prefix: str, *, count: int) -> dict[str, str] | None:
    """Person id -> the process holding that person's phone socket (the processes' presence snapshots in
    Redis), once `count` people are there; None before."""
    import redis

    client = redis.Redis.from_url(redis_url)
    where = {
        person.decode(): process.decode()
        for process in client.zrange(f"{prefix}:presence:procs", 0, -1)
        for person in client.hkeys(f"{prefix}:presence:proc:{process.decode()}")
    }
    return where if len(where) == count else None


def _styled(page: Any) -> bool:
    """Every stylesheet of the page loaded and applied (a browser drops one served with the wrong type)."""
    return bool(
        page.evaluate(
            """() => [...document.querySelectorAll('link[rel=stylesheet]')]
                 .every((link) => link.sheet !== null && link.sheet.cssRules.length > 0)"""
        )
    )


def _served(access_log: Path, method: str, path: str, status: int) -> bool:
    pattern = rf'"{method} {re.escape(path)} HTTP/[0-9.]+" {status} '
    return bool(re.search(pattern, access_log.read_text(errors="replace")))


def test_journey_1_in_the_browser_through_nginx_over_tls_in_front_of_two_processes(
    postgres_database: str, redis_url: str, tmp_path: Path, new_page: Any
) -> None:
    prefix = f"zqdeploy{uuid.uuid4().hex[:8]}"
    ports, https_port = [free_port(), free_port()], free_port()
    site = f"https://127.0.0.1:{https_port}"
    # The sample passes `Host: $host` (no port); the browser's Origin carries this test's port, which a
    # deployment on a port other than 443 lists in CSRF_TRUSTED_ORIGINS (docs/DEPLOY.md).
    env = production_env(postgres_database, redis_url, prefix, CSRF_TRUSTED_ORIGINS=site)
    seeded = seed(
        env,
        {
            "staff": [{"username": COORDINATOR, "role": "county_coordinator", "area": "410611"}],
            "phones": {"count": 2, "prefix": "qibin_volunteer", "homes": ["410611001"], "password": True},
        },
    )
    collect_static(env)
    cert, key = self_signed(tmp_path)
    tls = ssl.create_default_context(cafile=str(cert))
    backends = [Server(env, tmp_path, port=port) for port in ports]
    nginx = Nginx(tmp_path, ports, cert, key, https_port=https_port)
    with running(*backends, nginx):
        for backend in backends:
            backend.start()
        nginx.start()

        # Given two phones on duty near the scene, each signed in through nginx, one socket on each process.
        phones = []
        for member, at in zip(seeded["phones"], PHONES_AT, strict=True):
            phone = phone_on_duty(new_page, site, member["username"], at, password=PASSWORD, **TLS_PAGE)
            eventually(
                lambda member=member: (
                    http("GET", f"{site}/api/v1/me/location", token=member["token"], context=tls).status == 200
                ),
                page=phone,
            )
            phones.append(phone)
        # least_conn sends the second socket to the process without one.
        where = eventually(lambda: _presence(redis_url, prefix, count=2), page=phones[-1])
        assert set(where) == {str(member["person"]) for member in seeded["phones"]}
        assert len(set(where.values())) == 2, where

        dashboard = new_page("desktop", **TLS_PAGE)
        sign_in(dashboard, site, COORDINATOR, PASSWORD)
        dashboard.wait_for_selector("[data-testid=map][data-ready=true]", timeout=20_000)
        assert all(_styled(page) for page in [*phones, dashboard])

        # When the coordinator raises, watches and cancels the alert, both phones ring and see it cancelled.
        alert_id = raise_accept_cancel(dashboard, phones, scene=SCENE)

        # Then every step went through nginx over TLS (its static files, served from disk, are not logged).
        access_log = tmp_path / "access.log"
        for method, path, status in [
            ("POST", "/login/", 302),
            ("GET", "/dashboard/", 200),
            ("GET", "/m/", 200),
            ("POST", "/api/v1/alerts", 201),
            ("POST", f"/api/v1/alerts/{alert_id}/cancel", 200),
        ]:
            assert _served(access_log, method, path, status), (method, path, status)
