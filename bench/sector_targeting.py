"""Benchmark: sector and "on shift now" targeting at the demo's scale (issue 6 item 5), and training's
sector audience through core.sectors (issue 5). No target in the issues; measured so a regression shows.

Usage: .venv/bin/python bench/sector_targeting.py [--runs 15] [--database-url postgres://...]

Migrates a new database (a temporary SQLite file, or a fresh PostgreSQL database named
zq_bench_sectors next to the given URL), runs `seed_demo` (3,000 liaisons over 8 sectors, 1,976
volunteers), then times, each `--runs` times after one warm-up:
- dispatch's `recipients_for` for a missing-child filter alert to every food-delivery rider on shift
  in two 淇县 townships, city-wide (every sector on shift), and the sector filter without shifts;
- training's `audience` for a city-wide food-delivery session (core.sectors -> liaisons).
Prints median / max and the number of queries of each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.support import database_named, fresh_postgres  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = (
            fresh_postgres(database_named(args.database_url, "zq_bench_sectors"))
            if args.database_url
            else f"sqlite:///{tmp}/sectors.sqlite3"
        )
        env = {**os.environ, "DATABASE_URL": url, "ZHENGQI_DEMO_PASSWORD": "bench-only-password"}
        env.pop("REDIS_URL", None)
        for command in (["migrate", "-v0"], ["seed_demo"]):
            subprocess.run(
                [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=300, capture_output=True
            )
        os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="core.settings")
        os.environ.pop("REDIS_URL", None)
        run(runs=max(1, min(args.runs, 100)), backend="PostgreSQL" if args.database_url else "SQLite")


def timed(runs: int, work: Callable[[], Any]) -> tuple[float, float, int, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    work()  # warm-up
    took = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            found = work()
            took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took), max(took), len(queries.captured_queries), found


def run(*, runs: int, backend: str) -> None:
    import django

    django.setup()
    from core.jurisdiction import Jurisdiction
    from core.models import Area
    from dispatch.recipients import recipients_for
    from liaisons.selectors import SHANGHAI
    from training.selectors import audience

    city = Jurisdiction.from_prefixes(["4106"])
    noon = datetime(2026, 6, 1, 12, 0, tzinfo=SHANGHAI)
    townships = list(Area.objects.filter(code__startswith="410622", level="township").order_by("code")[:2])
    two = [t.code for t in townships]
    cases: list[tuple[str, Callable[[], Any]]] = [
        (
            f"riders on shift in 2 townships ({', '.join(two)})",
            lambda: recipients_for(
                jurisdiction=city,
                lat=None,
                lon=None,
                radius_m=None,
                sectors=["food_delivery"],
                area_codes=two,
                on_shift=True,
                now=noon,
            ),
        ),
        (
            "every liaison on shift, city-wide",
            lambda: recipients_for(jurisdiction=city, lat=None, lon=None, radius_m=None, on_shift=True, now=noon),
        ),
        (
            "food delivery, city-wide, any hour",
            lambda: recipients_for(jurisdiction=city, lat=None, lon=None, radius_m=None, sectors=["food_delivery"]),
        ),
        (
            "training audience: food delivery, city",
            lambda: audience(
                within=Area.objects.get(code="410600"),
                area_prefixes=[],
                team_ids=[],
                sectors=["food_delivery"],
                roles=[],
                host_id=0,
            ),
        ),
    ]
    print(f"{backend}, {runs} runs each after a warm-up")
    for name, work in cases:
        median, worst, queries, found = timed(runs, work)
        print(f"  {name:<52} {len(found):5d} people  median {median:6.1f} ms  max {worst:6.1f} ms  {queries} queries")


if __name__ == "__main__":
    main()
