"""Benchmark: how long `manage.py seed_demo` takes on a fresh database (issue 2 target: under 30 s).

Usage: .venv/bin/python bench/seed_demo.py [--runs 3] [--database-url postgres://...]
Each run migrates a new database (a temporary SQLite file, or a fresh PostgreSQL database
named zq_bench_seed) in a subprocess, then times seed_demo alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.support import database_named, fresh_postgres  # noqa: E402


def run(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    timings = []
    for _ in range(max(1, min(args.runs, 10))):
        with tempfile.TemporaryDirectory() as tmp:
            url = (
                fresh_postgres(database_named(args.database_url, "zq_bench_seed"))
                if args.database_url
                else f"sqlite:///{tmp}/seed.sqlite3"
            )
            env = {**os.environ, "DATABASE_URL": url, "ZHENGQI_DEMO_PASSWORD": "bench-password"}
            run([sys.executable, "manage.py", "migrate", "-v0"], env)
            timings.append(run([sys.executable, "manage.py", "seed_demo", "--no-progress"], env))
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"seed_demo on {backend}: runs={len(timings)} median={statistics.median(timings):.1f}s max={max(timings):.1f}s"
    )


if __name__ == "__main__":
    main()
