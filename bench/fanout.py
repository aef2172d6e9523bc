"""Real-time fan-out benchmark (issue 3). Not a test: run it by hand, results go to docs/BENCHMARKS.md.

    .venv/bin/python bench/fanout.py --n 2000 10000            # Zhengqi vs bare vs naive, 20 events each
    .venv/bin/python bench/fanout.py --burst --idle 60 --only zhengqi

For each N: N phones over 2 server processes (`manage.py serve`, i.e. `make
serve`) sharing Redis and PostgreSQL, driven by 2 client processes
(bench/fanout_client.py). 20 durable events go to all N through the real
service path (`realtime.events.publish`); each event's latency is the time
until the LAST socket has it. The same clients then measure the bare
`websockets` broadcast baseline and stock channels_redis `group_send` to one
big group (bench/baselines.py).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pipe import Workers  # noqa: E402
from bench.support import fresh_postgres, open_files_to_the_hard_limit  # noqa: E402

PAD = "x" * 200  # with the envelope, ~256-byte frames like the reference figures


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Clients(Workers):
    """Two client processes (bench/fanout_client.py), each holding half the sockets."""

    def __init__(self, count: int = 2, *, nice: int = 0) -> None:
        super().__init__("fanout_client.py", count, nice=nice)

    def connect(self, urls: list[str], tokens: list[str], *, ack_delay: float | None) -> dict[str, float]:
        half = len(tokens) // len(self.procs)
        started = time.monotonic()
        parts = [tokens[i * half : (i + 1) * half if i < len(self.procs) - 1 else None] for i in range(len(self.procs))]
        answers = self.ask([{"cmd": "connect", "urls": urls, "tokens": part, "ack_delay": ack_delay} for part in parts])
        seconds = time.monotonic() - started
        connected = sum(a["connected"] for a in answers)
        return {"connected": connected, "failed": sum(a["failed"] for a in answers), "rate": connected / seconds}

    def report(self) -> dict[str, Any]:
        merged: dict[str, Any] = {"events": {}, "dup": 0, "lost_gaps": 0, "closed": 0, "open": 0}
        for answer in self.ask([{"cmd": "report"}] * len(self.procs)):
            for n, (count, last) in answer["events"].items():
                entry = merged["events"].setdefault(int(n), [0, 0.0])
                entry[0] += count
                entry[1] = max(entry[1], last)
            merged["dup"] += answer["dup"]
            merged["lost_gaps"] += answer["lost"]
            merged["closed"] += answer["closed"]
            merged["open"] += answer["open"]
        return merged


def start(cmd: list[str], env: dict[str, str], port: int, *, log: Path | None = None) -> subprocess.Popen[str]:
    """Start a server process and wait (at most 30 s) until it listens; its stderr goes to `log` if given."""
    import socket

    if log is None:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    else:
        with log.open("w") as sink:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=sink, text=True)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{cmd} did not listen on {port}")


def stop(servers: list[subprocess.Popen[str]]) -> None:
    """Terminate the servers; kill any that has not exited 15 s later."""
    for server in servers:
        server.terminate()
    for server in servers:
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def summarise(name: str, n: int, sent: dict[int, float], report: dict[str, Any]) -> dict[str, Any]:
    latencies = [(report["events"][k][1] - t0) * 1000 for k, t0 in sent.items() if k in report["events"]]
    received = sum(report["events"].get(k, [0])[0] for k in sent)
    return {
        "server": name,
        "n": n,
        "events": len(sent),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "lost": n * len(sent) - received,
        "dup": report["dup"],
        "sockets_closed": report["closed"],
    }


def publish_events(
    kind: str, count: int, gap: float, person_ids: list[int], env: dict[str, str], *, pad: str = PAD
) -> dict[int, float]:
    """Publish `count` events (`pad` makes their size); returns n -> when the live fan-out started (after commit)."""
    import redis
    from django.db import transaction

    from realtime.events import Event, publish

    class Bench(Event):
        type: str = "bench.event"
        n: int
        pad: str = PAD

    sent: dict[int, float] = {}
    client = redis.Redis.from_url(env["REDIS_URL"])
    for n in range(1, count + 1):
        if kind == "zhengqi":
            with transaction.atomic():
                # Registered before publish's own on_commit: runs right before the live push.
                transaction.on_commit(lambda n=n: sent.__setitem__(n, time.time()))
                publish(Bench(n=n), to=person_ids)
        elif kind in ("bare", "bare-acks"):
            # bare-acks frames carry a seq, so that the phones ack them like Zhengqi's.
            numbered = {"seq": n} if kind == "bare-acks" else {}
            frame = json.dumps({"type": "event", **numbered, "event": {"type": "bench.event", "n": n, "pad": pad}})
            sent[n] = time.time()
            client.publish(env["BARE_CHANNEL"], frame)
        else:
            from asgiref.sync import async_to_sync
            from channels.layers import get_channel_layer

            from bench.baselines import NAIVE_GROUP

            frame = json.dumps({"type": "event", "event": {"type": "bench.event", "n": n, "pad": pad}})
            sent[n] = time.time()
            async_to_sync(get_channel_layer().group_send)(NAIVE_GROUP, {"type": "bench.event", "text": frame})
        time.sleep(gap)
    return sent


def prepare_database(env: dict[str, str], n: int) -> tuple[list[int], list[str]]:
    """A fresh PostgreSQL database with N volunteers and a bearer token each."""
    from django.db import connections

    connections.close_all()  # our own connection to the previous run's database goes with it
    fresh_postgres(env["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core.crypto import token_digest
    from core.models import ApiToken, Person

    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        # An unusable password: bench users log in by token only.
        [user_model(username=f"bench{i:05d}", password="!") for i in range(n)],  # noqa: S106
        batch_size=2000,
    )
    townships = ["410622101", "410622102", "410621101", "410611001"]
    people = Person.objects.bulk_create(
        [
            Person(user=u, name=f"Bench {i}", phone=f"139{i:08d}", home_area_id=townships[i % 4])
            for i, u in enumerate(users)
        ],
        batch_size=2000,
    )
    tokens = ["zq_" + secrets.token_urlsafe(32) for _ in users]
    expires = timezone.now() + timedelta(hours=12)
    ApiToken.objects.bulk_create(
        [ApiToken(user=u, digest=token_digest(t), expires_at=expires) for u, t in zip(users, tokens, strict=True)],
        batch_size=2000,
    )
    return [p.pk for p in people], tokens


def run(kind: str, n: int, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    ports = [args.port_base + i for i in range(2)]
    if kind == "zhengqi":
        person_ids, tokens = prepare_database(env, n)
        cmd = [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port"]
        if args.daphne:  # the alternative `make serve` was chosen against
            cmd = [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "core.asgi:application", "-p"]
    elif kind in ("bare", "bare-acks"):
        person_ids, tokens = [], ["zq_x"] * n
        cmd = [sys.executable, "bench/baselines.py", "bare"]
    else:
        person_ids, tokens = [], ["zq_x"] * n
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.baselines:application",
            "--loop",
            "uvloop",
            "--ws",
            "websockets-sansio",
            "--no-access-log",
            "--lifespan",
            "off",
            "--host",
            "127.0.0.1",
            "--port",
        ]
    bare_args = {
        "bare": [env["BARE_CHANNEL"], env["REDIS_URL"]],
        "bare-acks": [env["BARE_CHANNEL"], env["REDIS_URL"], "acks"],
    }
    servers = [start([*cmd, str(p), *bare_args.get(kind, [])], env, p) for p in ports]
    clients = Clients()
    try:
        urls = [f"ws://127.0.0.1:{p}/ws/v1/phone" for p in ports]
        # A few sockets first, so that per-connection memory excludes start-up
        # (imports, database connections, caches warmed by the first hellos).
        warm = max(20, n // 50)
        clients.connect(urls, tokens[:warm], ack_delay=None if args.no_ack else args.ack_delay)
        time.sleep(2)
        rss_before = [rss_kib(s.pid) for s in servers]
        ramp = clients.connect(urls, tokens[warm:], ack_delay=None if args.no_ack else args.ack_delay)
        time.sleep(3)  # let presence and acks settle before measuring memory
        rss_after = [rss_kib(s.pid) for s in servers]
        ramp["connected"] += warm
        clients.report()
        result: dict[str, Any] = {}
        if args.burst:
            sent = publish_events(kind, args.burst_events, 0, person_ids, env)
            time.sleep(5)
            result = summarise(kind, ramp["connected"], sent, clients.report())
            result["mode"] = f"burst of {args.burst_events}"
        else:
            sent = publish_events(kind, args.events, args.gap, person_ids, env)
            time.sleep(2)
            result = summarise(kind, ramp["connected"], sent, clients.report())
        if args.idle:
            time.sleep(args.idle)
            idle = clients.report()
            result["idle_s"], result["dropped_while_idle"] = args.idle, idle["closed"]
        result.update(
            requested_n=n,
            connected=ramp["connected"],
            failed=ramp["failed"],
            ramp_per_s=round(ramp["rate"]),
            rss_kib_per_conn=round((sum(rss_after) - sum(rss_before)) / max(1, ramp["connected"] - warm), 1),
            rss_mib_total=round(sum(rss_after) / 1024, 1),
        )
        return result
    finally:
        clients.close()
        stop(servers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument(
        "--only", nargs="+", choices=["zhengqi", "bare", "bare-acks", "naive"], default=["bare", "zhengqi", "naive"]
    )
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--gap", type=float, default=1.5, help="seconds between events")
    parser.add_argument("--burst", action="store_true", help="300 back-to-back events instead (use --n 500)")
    parser.add_argument("--burst-events", type=int, default=300)
    parser.add_argument("--idle", type=int, default=0, help="then idle this many seconds; count dropped sockets")
    parser.add_argument("--no-ack", action="store_true", help="phones do not acknowledge")
    parser.add_argument("--daphne", action="store_true", help="serve Zhengqi with daphne instead of `manage.py serve`")
    parser.add_argument(
        "--ack-delay", type=float, default=1.0, help="phones ack this long after an event, coalesced (0: at once)"
    )
    parser.add_argument("--port-base", type=int, default=18700)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/zq_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    args = parser.parse_args()

    open_files_to_the_hard_limit()  # inherited by servers and clients
    prefix = f"zqbench{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "ZHENGQI_REDIS_PREFIX": prefix,
        "BARE_CHANNEL": f"{prefix}:bare",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "core.settings"
    import django

    django.setup()
    results = []
    for n in args.n:
        for kind in args.only:
            result = run(kind, n, args, env)
            print(json.dumps(result), flush=True)
            results.append(result)
    for n in args.n:
        by = {r["server"]: r for r in results if r["requested_n"] == n}
        if "bare" in by and by["bare"]["p50_ms"]:
            for kind in ("zhengqi", "naive", "bare-acks"):
                if kind in by and by[kind]["p50_ms"]:
                    print(f"N={n}: {kind} p50 / bare p50 = {by[kind]['p50_ms'] / by['bare']['p50_ms']:.2f}x")
        if "bare-acks" in by and by["bare-acks"]["p50_ms"] and "zhengqi" in by and by["zhengqi"]["p50_ms"]:
            print(f"N={n}: zhengqi p50 / bare-acks p50 = {by['zhengqi']['p50_ms'] / by['bare-acks']['p50_ms']:.2f}x")


if __name__ == "__main__":
    main()
