"""End to end: `POST /api/v1/alerts` until the last phone has the alert (issue 4). Not a test.

    flock /work/bench.lock .venv/bin/python bench/alert_e2e.py                  # PostgreSQL
    flock /work/bench.lock .venv/bin/python bench/alert_e2e.py --database-url sqlite:////tmp/zq_e2e.sqlite3

N on-duty volunteers (default 2,000) with fresh fixes within 2.9 km of a point in 淇滨区, each
with a phone socket, spread over 2 server processes (`manage.py serve`, as `make serve`
starts them) that share Redis and the database; the phones are driven by 2 client processes
(bench/fanout_client.py, phones ack 1 s after an event, coalesced). A county coordinator then
raises 20 alerts, radius 3 km, one at a time over HTTP: for each, the latency is from just
before the POST is sent until the LAST phone has its `alert.created` frame (each phone's own
copy, with its distance and bearing). Each alert is cancelled before the next (which rings
every phone again), so every alert is fresh. Phones check their streams for gaps and repeats.

In the same run, first, the physical baseline of bench/fanout.py: a bare `websockets` server
in 2 processes broadcasting one Redis PUBLISH to the same number of sockets, timed from the
publish to the last socket. The ratio compares the two p50s.

`--small 1 50` also times alerts that ring only the nearest 1 and 50 phones (radius chosen
from the layout), with all N connected: the coordinator's experience for small alerts.

The database is dropped and recreated (PostgreSQL) or replaced (SQLite file) and migrated;
use a scratch one.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from bench.fanout import Clients, percentile, publish_events, start, stop, summarise  # noqa: E402
from bench.support import fresh_postgres, open_files_to_the_hard_limit  # noqa: E402

JINSHAN = (35.774691, 114.240340)  # 金山街道, 淇滨区
TOWNSHIP = "410611001"
SPREAD_M = 2900.0  # every volunteer within this of JINSHAN (a sunflower spiral: even density)


def spot(i: int, n: int) -> tuple[float, float, float]:
    """Volunteer i's position: (lat, lon, distance to JINSHAN); distances rise with i."""
    from geopy.distance import geodesic

    metres = SPREAD_M * math.sqrt((i + 0.5) / n)
    point = geodesic(meters=metres).destination(JINSHAN, (i * 137.508) % 360)
    return point.latitude, point.longitude, metres


def prepare_database(env: dict[str, str], n: int) -> tuple[list[int], list[str], str]:
    """A fresh, migrated database: N on-duty volunteers with tokens, a coordinator's token."""
    from django.db import connections

    connections.close_all()
    url = env["DATABASE_URL"]
    if url.startswith("sqlite"):
        path = Path(url.split("sqlite://", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        fresh_postgres(url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core.crypto import token_digest
    from core.models import ApiToken, DutyStatus, Person, RoleGrant

    user_model = get_user_model()
    now = timezone.now()
    users = user_model.objects.bulk_create(
        # Unusable passwords: bench users use tokens only.
        [user_model(username=f"e2e{i:05d}", password="!") for i in range(n + 1)],  # noqa: S106
        batch_size=2000,
    )
    coordinator, users = users[0], users[1:]
    RoleGrant.objects.create(user=coordinator, role="county_coordinator", area_id="410611")
    people = Person.objects.bulk_create(
        [Person(user=u, name=f"E2E {i}", phone=f"139{i:08d}", home_area_id=TOWNSHIP) for i, u in enumerate(users)],
        batch_size=2000,
    )
    DutyStatus.objects.bulk_create([DutyStatus(person=p, on_duty=True, changed_at=now) for p in people])
    tokens = ["zq_" + secrets.token_urlsafe(32) for _ in range(n + 1)]
    expires = now + timedelta(hours=4)
    ApiToken.objects.bulk_create(
        [
            ApiToken(user=u, digest=token_digest(t), expires_at=expires)
            for u, t in zip([coordinator, *users], tokens, strict=True)
        ],
        batch_size=2000,
    )
    # Planner statistics, as a live database has them (autovacuum would gather them within a minute
    # or so of the bulk load; without them the first alerts' queries are planned for empty tables).
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")
    return [p.pk for p in people], tokens[1:], tokens[0]


def place(person_ids: list[int]) -> None:
    """Fresh fixes for everyone (a fix is fresh for 10 minutes)."""
    from django.utils import timezone

    from core.positions import Fix, positions

    now = timezone.now()
    store = positions()
    fixes = []
    for i, pid in enumerate(person_ids):
        lat, lon, _ = spot(i, len(person_ids))
        fixes.append(Fix(person_id=pid, lat=lat, lon=lon, accuracy_m=10.0, at=now))
    put_many = getattr(store, "put_many", None)
    if put_many is not None:
        put_many(fixes)
    else:
        for fix in fixes:
            store.put(fix)


class Coordinator:
    """The coordinator's HTTP client: one keep-alive connection to one server process."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.conn.request("POST", path, json.dumps(body), self.headers)
        response = self.conn.getresponse()
        data = json.loads(response.read())
        if response.status not in (200, 201):
            raise SystemExit(f"POST {path}: {response.status} {data}")
        return data


def merged_report(clients: Clients) -> dict[str, Any]:
    merged: dict[str, Any] = {"events": {}, "dup": 0, "gaps": 0, "closed": 0}
    for answer in clients.ask([{"cmd": "report"}] * len(clients.procs)):
        for key, (count, last) in answer["events"].items():
            entry = merged["events"].setdefault(key, [0, 0.0])
            entry[0] += count
            entry[1] = max(entry[1], last)
        merged["dup"] += answer["dup"]
        merged["gaps"] += answer["lost"]
        merged["closed"] += answer["closed"]
    return merged


def raise_alerts(
    coordinator: Coordinator, *, count: int, radius_m: int, gap: float, expect: int | None
) -> list[dict[str, Any]]:
    """POST `count` alerts one at a time, cancelling each before the next. Returns what was sent when."""
    sent = []
    body = {
        "kind": "fire",
        "severity": "severe",
        "title": "E2E 金山街道 fire",
        "description": "Benchmark alert: smoke reported from a warehouse; approach from the north side.",
        "lat": JINSHAN[0],
        "lon": JINSHAN[1],
        "radius_m": radius_m,
        "needed": 3,
    }
    for _ in range(count):
        t0 = time.time()
        created = coordinator.post("/api/v1/alerts", body)
        answered = time.time()
        if expect is not None and created["recipients"] != expect:
            raise SystemExit(f"expected {expect} recipients, the alert reached {created['recipients']}")
        sent.append({"id": created["id"], "t0": t0, "post_ms": (answered - t0) * 1000, "n": created["recipients"]})
        time.sleep(gap)
        coordinator.post(f"/api/v1/alerts/{created['id']}/cancel", {"reason": "benchmark"})
        time.sleep(gap)
    return sent


def summarise_alerts(label: str, sent: list[dict[str, Any]], report: dict[str, Any]) -> dict[str, Any]:
    latencies, received, expected = [], 0, 0
    for alert in sent:
        count, last = report["events"].get(f"alert.created#{alert['id']}", [0, 0.0])
        received += count
        expected += alert["n"]
        if count:
            latencies.append((last - alert["t0"]) * 1000)
    posts = [a["post_ms"] for a in sent]
    return {
        "server": label,
        "recipients": sent[0]["n"] if sent else 0,
        "alerts": len(sent),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "post_p50_ms": round(statistics.median(posts), 1),
        "post_p99_ms": round(percentile(posts, 0.99), 1),
        "lost": expected - received,
        "dup": report["dup"],
        "gaps": report["gaps"],
        "sockets_closed": report["closed"],
    }


def radius_for(k: int, n: int) -> int:
    """A radius that holds exactly the k nearest volunteers of the spiral (halfway between k-1 and k)."""
    inner = SPREAD_M * math.sqrt((k - 0.5) / n)
    outer = SPREAD_M * math.sqrt((k + 0.5) / n)
    return max(1, round((inner + outer) / 2))


def run_zhengqi(args: argparse.Namespace, env: dict[str, str]) -> list[dict[str, Any]]:
    person_ids, tokens, coordinator_token = prepare_database(env, args.n)
    place(person_ids)
    ports = [args.port_base + i for i in range(2)]
    cmd = [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port"]
    servers = [
        start([*cmd, str(p)], env, p, log=Path(f"{args.server_log}.{p}") if args.server_log else None) for p in ports
    ]
    clients = Clients(nice=args.client_nice)
    try:
        ramp = clients.connect([f"ws://127.0.0.1:{p}/ws/v1/phone" for p in ports], tokens, ack_delay=args.ack_delay)
        if ramp["connected"] != args.n:
            raise SystemExit(f"only {ramp['connected']} of {args.n} phones connected")
        time.sleep(3)  # presence and acks settle
        merged_report(clients)  # reset the counters
        place(person_ids)  # fixes stay fresh whatever the ramp took
        coordinator = Coordinator(ports[0], coordinator_token)
        # Warm-up: first requests pay for imports, caches and connections.
        raise_alerts(coordinator, count=2, radius_m=3000, gap=args.gap, expect=args.n)
        merged_report(clients)
        results = []
        spies = (
            [
                subprocess.Popen(
                    [
                        args.py_spy,
                        "record",
                        "-r",
                        "200",
                        "-f",
                        "raw",
                        "-o",
                        str(Path(tempfile.gettempdir()) / f"alert_e2e_{s.pid}.txt"),
                        "-p",
                        str(s.pid),
                        "--threads",
                        "--nonblocking",  # sampling must not pause the servers it measures
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for s in servers
            ]
            if args.py_spy
            else []
        )
        sent = raise_alerts(coordinator, count=args.alerts, radius_m=3000, gap=args.gap, expect=args.n)
        time.sleep(1)
        for spy in spies:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=30)
        results.append(summarise_alerts("zhengqi", sent, merged_report(clients)))
        results[-1]["connect_per_s"] = round(ramp["rate"])
        for k in args.small:
            place(person_ids)
            sent = raise_alerts(coordinator, count=args.small_alerts, radius_m=radius_for(k, args.n), gap=0.5, expect=k)
            time.sleep(1)
            results.append(summarise_alerts(f"zhengqi, {k} recipient(s)", sent, merged_report(clients)))
        return results
    finally:
        clients.close()
        stop(servers)


def alert_frame_bytes() -> int:
    """The size of one phone's `alert.created` frame for the benchmark's alert (as fan_out builds it)."""
    from datetime import UTC, datetime

    from dispatch.events import AlertCreated, NavLinks
    from dispatch.nav import amap_link, baidu_link
    from realtime import protocol

    title = "E2E 金山街道 fire"
    event = AlertCreated(
        alert_id=123,
        kind="fire",
        severity="severe",
        title=title,
        description="Benchmark alert: smoke reported from a warehouse; approach from the north side.",
        lat=JINSHAN[0],
        lon=JINSHAN[1],
        radius_m=3000,
        needed=3,
        expires_at=datetime.now(UTC),
        distance_m=1234.5,
        bearing_deg=123.4,
        wave=0,
        nav=NavLinks(
            amap=amap_link(lat=JINSHAN[0], lon=JINSHAN[1], name=title),
            baidu=baidu_link(lat=JINSHAN[0], lon=JINSHAN[1], name=title),
        ),
    )
    return len(protocol.durable(1234, protocol.dumps(event.body())).encode())


def run_bare(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    ports = [args.port_base + 10 + i for i in range(2)]
    cmd = [sys.executable, "bench/baselines.py", "bare"]
    servers = [start([*cmd, str(p), env["BARE_CHANNEL"], env["REDIS_URL"]], env, p) for p in ports]
    clients = Clients(nice=args.client_nice)
    try:
        urls = [f"ws://127.0.0.1:{p}/ws/v1/phone" for p in ports]
        ramp = clients.connect(urls, ["zq_x"] * args.n, ack_delay=None)
        time.sleep(2)
        merged_report(clients)
        # Frames as long as the alert's, so that both deliver the same bytes to each phone.
        envelope = len(json.dumps({"type": "event", "event": {"type": "bench.event", "n": 10, "pad": ""}}))
        pad = "x" * max(0, alert_frame_bytes() - envelope)
        sent = publish_events("bare", args.alerts, args.gap, [], env, pad=pad)
        time.sleep(1)
        result = summarise("bare", ramp["connected"], sent, clients.report())
        result["frame_bytes"] = envelope + len(pad)
        result["connect_per_s"] = round(ramp["rate"])
        return result
    finally:
        clients.close()
        stop(servers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="volunteers, each with a phone socket")
    parser.add_argument("--alerts", type=int, default=20)
    parser.add_argument("--gap", type=float, default=1.5, help="seconds after each alert and after each cancel")
    parser.add_argument("--small", type=int, nargs="*", default=[], help="also alerts that ring only this many")
    parser.add_argument("--small-alerts", type=int, default=10)
    parser.add_argument("--ack-delay", type=float, default=1.0)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--client-nice",
        type=int,
        default=0,
        help="run the phone clients at this niceness (both runs): phones are other devices, not the servers' cores",
    )
    parser.add_argument("--server-log", help="keep each server's stderr in SERVER_LOG.<port>")
    parser.add_argument(
        "--py-spy", help="path to py-spy: profile both servers while the alerts run (TMPDIR/alert_e2e_PID.txt)"
    )
    parser.add_argument("--port-base", type=int, default=21000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/zq_dispatch2_e2e")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/2")
    args = parser.parse_args()

    open_files_to_the_hard_limit()  # inherited by servers and clients
    prefix = f"zq_dispatch2_e2e{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "ZHENGQI_REDIS_PREFIX": prefix,
        "BARE_CHANNEL": f"{prefix}:bare",
        "ZHENGQI_ESCALATION_DELAY_S": "3600",
        # As `make serve` runs in production: DEBUG off (no per-query bookkeeping), jobs in-process.
        "ZHENGQI_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ZHENGQI_FIELD_KEYS": Fernet.generate_key().decode(),
        "ZHENGQI_SSL_REDIRECT": "false",  # plain HTTP on loopback (TLS ends at the proxy)
        "ZHENGQI_JOBS_IN_PROCESS": "true",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "core.settings"
    import django

    django.setup()
    from django.db import connection

    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {connection.vendor}, N={args.n}, "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    results: list[dict[str, Any]] = []
    if not args.no_baseline:
        results.append(run_bare(args, env))
        print(json.dumps(results[-1]), flush=True)
    for result in run_zhengqi(args, env):
        results.append(result)
        print(json.dumps(result), flush=True)
    by = {r["server"]: r for r in results}
    if "bare" in by and by["bare"]["p50_ms"] and by["zhengqi"]["p50_ms"]:
        ratio = by["zhengqi"]["p50_ms"] / by["bare"]["p50_ms"]
        print(f"alert POST -> last phone p50 / bare broadcast p50 = {ratio:.2f}x (target: within 2.5x)")
    print(f"# load average at the end {os.getloadavg()[0]:.1f}", flush=True)
    # Leave nothing behind in Redis: positions, presence, caches (all under this run's prefix).
    import redis

    client = redis.Redis.from_url(args.redis_url)
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)


if __name__ == "__main__":
    main()
