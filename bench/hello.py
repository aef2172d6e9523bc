"""What a socket's hello costs, part by part (issue 3: the connection ramp).

Not a test: figures go to docs/BENCHMARKS.md.

    flock /work/bench.lock .venv/bin/python bench/hello.py --n 2000 --database-url postgres://.../zq_x --redis-url redis://.../N

On a fresh PostgreSQL database with N people and tokens, one thread, times
each database/Redis step a hello performs (median and p99 per call, µs):

- identity, first use of a token: token lookup + `last_used_at` write + person/stream read;
- identity, token used in the last 5 minutes (the usual reconnect): no write;
- replay read when the phone is behind (5 events), and none when it is up to date;
- presence: one changed person (what a hello costs now) vs the full snapshot of N
  (what every heartbeat during a ramp wrote before);
- the dashboard snapshot read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(calls: list[Callable[[], Any]]) -> dict[str, float]:
    spent = []
    for call in calls:
        started = time.perf_counter()
        call()
        spent.append((time.perf_counter() - started) * 1e6)
    ordered = sorted(spent)
    return {
        "median_us": round(statistics.median(spent)),
        "p99_us": round(ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]),
        "calls": len(spent),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/zq_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    args = parser.parse_args()
    prefix = f"zqbench{uuid.uuid4().hex[:6]}"
    env = {"DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url, "ZHENGQI_REDIS_PREFIX": prefix}
    os.environ.update(env, DJANGO_SETTINGS_MODULE="core.settings", LOG_LEVEL="WARNING")
    import django

    django.setup()
    from bench.fanout import prepare_database
    from core.models import DutyStatus
    from realtime import presence, services, snapshot, streams
    from realtime.events import Event, publish

    person_ids, tokens = prepare_database({**os.environ, **env}, args.n)
    half = args.n // 2
    results: dict[str, Any] = {"n": args.n}
    results["identity_first_use"] = timed(
        [lambda t=t: services.socket_identity(token=t, dashboard=False) for t in tokens[:half]]
    )
    results["identity_reconnect"] = timed(
        [lambda t=t: services.socket_identity(token=t, dashboard=False) for t in tokens[:half]]
    )

    class Bench(Event):
        type: str = "bench.event"
        n: int

    behind = person_ids[:200]
    for n in range(5):
        publish(Bench(n=n), to=behind)
    results["replay_read_5_events"] = timed(
        [lambda p=p: streams.frames_after(person_id=p, since=0, limit=100) for p in behind]
    )
    store = presence.store()
    everyone = {pid: "410622101" for pid in person_ids}
    results["presence_full_snapshot"] = timed([lambda: store.write(process_id="bench", people=everyone)] * 20)
    results["presence_one_change"] = timed(
        [lambda p=p: store.change(process_id="bench", added={p: "410622101"}, removed=set()) for p in person_ids[:200]]
    )
    DutyStatus.objects.bulk_create(
        [DutyStatus(person_id=pid, on_duty=True, changed_at=django.utils.timezone.now()) for pid in person_ids[::3]]
    )
    results["dashboard_snapshot_county"] = timed([lambda: snapshot.dashboard_snapshot(prefixes=("410622",))] * 20)
    store.forget(process_id="bench")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
