"""Soak (issue 8): many connected phones over 2 server processes, alerts and location updates, for a while.

    make soak                                          # 10,000 phones, 10 minutes (the issue's figures)
    flock /work/bench.lock .venv/bin/python bench/soak.py --phones 10000 --duration 600
    .venv/bin/python bench/soak.py --phones 500 --duration 60 --alert-every 10 --alert-size 100 \\
        --movers 100 --move-every 5 --team-size 50     # the CI version (tests/load/test_soak.py)

What runs (loopback only; every loop is bounded in count and time):
- 2 server processes exactly as `make serve` starts them (jobs in process), sharing
  PostgreSQL (or a SQLite file) and Redis;
- N phones in 2 client processes (bench/soak_client.py), spread over both servers,
  speaking the protocol as the app must (coalesced acks, reconnect with `since`);
- every `--alert-every` seconds a 淇滨区 county coordinator raises an alert through the
  real `POST /api/v1/alerts` to random teams adding up to `--alert-size` phones;
- the first `--movers` phones are on duty and `PUT /api/v1/me/location` every `--move-every` s.

Reported: lost and duplicated deliveries (the 201's `recipients` against what the phones
got; each phone checks its own seq stream too), per-alert last-delivery latency (from the
start of the POST until the last recipient has the alert: selection, storage, fan-out and
the socket write; the phones get it before the 201 is read), the location updates'
latency, and each server's RSS sampled every `--rss-every` s, with its growth from the
first sample after the ramp and over the second half of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pipe import Workers  # noqa: E402
from bench.support import fresh_postgres, open_files_to_the_hard_limit  # noqa: E402
from tests.faults.harness import Server, base_env, free_port, http, seed  # noqa: E402

# 淇滨区's townships (the phones' homes) and a point inside the district for location fixes.
HOMES = ["410611001", "410611002", "410611003", "410611004", "410611005", "410611566"]
AROUND = (35.7470, 114.2860)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Clients(Workers):
    """Client processes (bench/soak_client.py), each holding a share of the phones."""

    def __init__(self, count: int, log_dir: Path) -> None:
        super().__init__("soak_client.py", count, log_dir=log_dir)

    def report(self) -> dict[str, Any]:
        merged: dict[str, Any] = {"alerts": {}, "dup": 0, "gaps": 0, "closes": 0, "reconnects": 0, "open": 0}
        moves: dict[str, Any] = {"ok": 0, "failed": 0, "failures": {}, "ms": []}
        for answer in self.ask([{"cmd": "report"}] * len(self.procs)):
            for alert_id, (count, last) in answer["alerts"].items():
                entry = merged["alerts"].setdefault(int(alert_id), [0, 0.0])
                entry[0] += count
                entry[1] = max(entry[1], last)
            for key in ("dup", "gaps", "closes", "reconnects", "open"):
                merged[key] += answer[key]
            moves["ok"] += answer["moves"]["ok"]
            moves["failed"] += answer["moves"]["failed"]
            for status, count in answer["moves"]["failures"].items():
                moves["failures"][status] = moves["failures"].get(status, 0) + count
            moves["ms"] += answer["moves"]["ms"]
        merged["moves"] = moves
        return merged


def fresh_database(url: str) -> None:
    if url.startswith("sqlite"):
        Path(url.split("sqlite://", 1)[1]).unlink(missing_ok=True)
        return
    fresh_postgres(url)


def run(
    *,
    phones: int = 10_000,
    duration: float = 600,
    alert_every: float = 60,
    alert_size: int = 2000,
    movers: int = 2000,
    move_every: float = 30,
    team_size: int = 200,
    servers: int = 2,
    clients: int = 2,
    rss_every: float = 10,
    settle: float = 30,
    database_url: str = "postgres://postgres@127.0.0.1:5432/zq_ops_soak",
    redis_url: str = "redis://127.0.0.1:6379/5",
    log_dir: Path | None = None,
    say: Any = print,
) -> dict[str, Any]:
    """One soak; returns the figures (see the module docstring). Stops by itself after `duration` + `settle`."""
    open_files_to_the_hard_limit()  # inherited by servers and clients
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="zq-soak-"))
    env = base_env(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ZHENGQI_REDIS_PREFIX=f"zqsoak{uuid.uuid4().hex[:6]}",
        ZHENGQI_JOBS_IN_PROCESS="true",  # as `make serve` runs
    )
    started = time.monotonic()
    fresh_database(database_url)
    teams = max(1, phones // team_size)
    seeded = seed(
        env,
        {
            "staff": [{"username": "soak_coordinator", "role": "county_coordinator", "area": "410611"}],
            "phones": {"count": phones, "prefix": "soak", "homes": HOMES, "teams": teams, "on_duty": movers},
        },
    )
    coordinator = seeded["staff"]["soak_coordinator"]
    say(f"seeded {phones} phones in {teams} teams in {time.monotonic() - started:.0f} s; logs in {log_dir}")

    procs = [Server(env, log_dir, port=free_port()) for _ in range(servers)]
    pool: Clients | None = None
    result: dict[str, Any] = {
        "phones": phones,
        "servers": servers,
        "duration_s": duration,
        "alert_every_s": alert_every,
        "alert_size": alert_size,
        "movers": movers,
        "move_every_s": move_every,
        "database": database_url.split(":", 1)[0],
    }
    try:
        for server in procs:
            server.start()
        pool = Clients(clients, log_dir)
        urls = [s.ws for s in procs]
        share = [seeded["phones"][i::clients] for i in range(clients)]
        ramp_started = time.monotonic()
        answers = pool.ask(
            [
                {
                    "cmd": "connect",
                    "urls": urls,
                    "phones": [{"token": p["token"], "on_duty": p["on_duty"]} for p in part],
                    "move_every": move_every,
                    "move_for": duration + 120,
                    "around": AROUND,
                }
                for part in share
            ]
        )
        connected = sum(a["connected"] for a in answers)
        result["connected"] = connected
        result["connect_failed"] = sum(a["failed"] for a in answers)
        result["ramp_s"] = round(time.monotonic() - ramp_started, 1)
        say(f"{connected} phones connected in {result['ramp_s']} s ({result['connect_failed']} failed)")

        rss: list[dict[str, Any]] = []
        alerts: list[dict[str, Any]] = []
        t0 = time.monotonic()
        next_alert, next_rss = alert_every / 2, 0.0
        team_ids = seeded["teams"]
        per_alert = max(1, min(len(team_ids), round(alert_size / team_size)))
        for _tick in range(1_000_000):  # bounded by `duration`
            now = time.monotonic() - t0
            if now >= duration:
                break
            if now >= next_rss:
                rss.append({"t": round(now), "kib": [s.rss_kib() for s in procs]})
                next_rss += rss_every
            if now >= next_alert:
                chosen = random.sample(team_ids, per_alert)
                server = procs[len(alerts) % len(procs)]
                posted_at = time.time()
                reply = http(
                    "POST",
                    f"{server.http}/api/v1/alerts",
                    token=coordinator,
                    body={
                        "kind": "missing_person",
                        "severity": "severe",
                        "title": f"Soak alert {len(alerts) + 1}",
                        "description": "A child is missing near the river; look out and report.",
                        "team_ids": chosen,
                        "needed": 0,
                    },
                    timeout=120,
                )
                created_at = time.time()
                if reply.status != 201:
                    raise RuntimeError(f"POST /api/v1/alerts answered {reply.status}: {reply.body}")
                alerts.append(
                    {
                        "id": reply.body["id"],
                        "recipients": reply.body["recipients"],
                        "posted": posted_at,
                        "created": created_at,
                    }
                )
                say(
                    f"t={now:4.0f}s alert {reply.body['id']} to {reply.body['recipients']} phones "
                    f"(201 after {(created_at - posted_at) * 1000:.0f} ms)"
                )
                next_alert += alert_every
            time.sleep(0.2)
        rss.append({"t": round(time.monotonic() - t0), "kib": [s.rss_kib() for s in procs]})

        # Let the last deliveries arrive (bounded), then count.
        expected = sum(a["recipients"] for a in alerts)
        report = pool.report()
        for _ in range(int(settle * 2)):
            if sum(min(report["alerts"].get(a["id"], [0])[0], a["recipients"]) for a in alerts) >= expected:
                break
            time.sleep(0.5)
            report = pool.report()
        received = {a["id"]: report["alerts"].get(a["id"], [0, 0.0]) for a in alerts}
        from_post = [(received[a["id"]][1] - a["posted"]) * 1000 for a in alerts if received[a["id"]][0]]
        create_ms = [(a["created"] - a["posted"]) * 1000 for a in alerts]
        first, last = rss[0]["kib"], rss[-1]["kib"]
        # Flat over time: the second half of the run, after caches, pools and the first alerts warmed up.
        middle = next(s for s in rss if s["t"] >= duration / 2)["kib"]
        result.update(
            alerts=len(alerts),
            deliveries_expected=expected,
            deliveries_received=sum(min(v[0], a["recipients"]) for a, v in zip(alerts, received.values(), strict=True)),
            lost=sum(max(0, a["recipients"] - received[a["id"]][0]) for a in alerts),
            duplicated=report["dup"] + sum(max(0, received[a["id"]][0] - a["recipients"]) for a in alerts),
            seq_gaps=report["gaps"],
            socket_closes=report["closes"],
            reconnects=report["reconnects"],
            open_at_end=report["open"],
            last_delivery_ms_from_post={
                "p50": _r(percentile(from_post, 0.5)),
                "p99": _r(percentile(from_post, 0.99)),
                "max": _r(max(from_post, default=None)),
            },
            post_alert_ms={"p50": _r(percentile(create_ms, 0.5)), "max": _r(max(create_ms, default=None))},
            location_updates={
                "ok": report["moves"]["ok"],
                "failed": report["moves"]["failed"],
                "failures_by_status": report["moves"]["failures"],
                "p50_ms": _r(percentile(report["moves"]["ms"], 0.5)),
                "p99_ms": _r(percentile(report["moves"]["ms"], 0.99)),
            },
            rss_mib_first=[round(k / 1024, 1) for k in first],
            rss_mib_last=[round(k / 1024, 1) for k in last],
            rss_mib_max=[round(max(s["kib"][i] for s in rss) / 1024, 1) for i in range(len(procs))],
            rss_growth_mib=[round((b - a) / 1024, 1) for a, b in zip(first, last, strict=True)],
            rss_growth_second_half_mib=[round((b - a) / 1024, 1) for a, b in zip(middle, last, strict=True)],
            rss_series=[{"t": s["t"], "mib": [round(k / 1024, 1) for k in s["kib"]]} for s in rss],
            per_alert=[
                {
                    "id": a["id"],
                    "recipients": a["recipients"],
                    "received": received[a["id"]][0],
                    "last_ms_from_post": _r((received[a["id"]][1] - a["posted"]) * 1000)
                    if received[a["id"]][0]
                    else None,
                }
                for a in alerts
            ],
            server_errors=[s.tail(200_000).count("unhandled error") for s in procs],
            wall_s=round(time.monotonic() - started),
        )
        return result
    finally:
        if pool is not None:
            pool.close()
        for server in procs:
            server.stop()


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=600, help="seconds of traffic after the ramp (max 3600)")
    parser.add_argument("--alert-every", type=float, default=60)
    parser.add_argument("--alert-size", type=int, default=2000, help="phones per alert (random teams)")
    parser.add_argument("--movers", type=int, default=2000, help="on-duty phones reporting their location")
    parser.add_argument("--move-every", type=float, default=30)
    parser.add_argument("--team-size", type=int, default=200)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--rss-every", type=float, default=10)
    parser.add_argument("--settle", type=float, default=30)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/zq_ops_soak")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/5")
    parser.add_argument("--json", type=Path, help="also write the full result here")
    args = parser.parse_args()
    if not 0 < args.duration <= 3600:
        parser.error("--duration must be within 1..3600 s")
    result = run(
        phones=args.phones,
        duration=args.duration,
        alert_every=args.alert_every,
        alert_size=args.alert_size,
        movers=args.movers,
        move_every=args.move_every,
        team_size=args.team_size,
        clients=args.clients,
        rss_every=args.rss_every,
        settle=args.settle,
        database_url=args.database_url,
        redis_url=args.redis_url,
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    summary = {k: v for k, v in result.items() if k not in ("rss_series", "per_alert")}
    print(json.dumps(summary, indent=1))
    print("RSS (MiB) over time:", " ".join(f"{s['t']}s:{'/'.join(map(str, s['mib']))}" for s in result["rss_series"]))


if __name__ == "__main__":
    main()
