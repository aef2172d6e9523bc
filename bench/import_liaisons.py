"""Benchmark: importing 10,000 liaisons from a CSV (issue 6 target: under 20 s).

Usage: .venv/bin/python bench/import_liaisons.py [--rows 10000] [--format csv|xlsx] [--database-url postgres://...]

Migrates a new database (a temporary SQLite file, or a fresh PostgreSQL database named
zq_bench_import next to the given URL), makes a 淇县 county coordinator, then times, through
`liaisons.services.liaison_import`: the dry run, the real run (all new people), and the same
file again (nothing changes). Prints one line per phase.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.support import database_named, fresh_postgres  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = (
            fresh_postgres(database_named(args.database_url, "zq_bench_import"))
            if args.database_url
            else f"sqlite:///{tmp}/import.sqlite3"
        )
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, timeout=300)
        run(rows=min(args.rows, 50_000), fmt=args.format, backend="PostgreSQL" if args.database_url else "SQLite")


def run(*, rows: int, fmt: str, backend: str) -> None:
    import django

    django.setup()
    from core.models import Area, Person, RoleGrant
    from liaisons.services import liaison_import
    from tests.factories import UserFactory
    from tests.liaisons.sheets import liaison_row, to_csv, to_xlsx

    actor = UserFactory(username="bench_county_410622")
    RoleGrant.objects.create(user=actor, role="county_coordinator", area=Area.objects.get(code="410622"))
    sheet = [liaison_row(n) for n in range(rows)]
    content = to_csv(sheet, encoding="gbk") if fmt == "csv" else to_xlsx(sheet)
    print(f"{backend}, {fmt} ({'GBK' if fmt == 'csv' else 'XLSX'}), {rows} rows, {len(content) / 1e6:.2f} MB")
    for phase, dry_run in (("dry run", True), ("import", False), ("re-import", False)):
        started = time.perf_counter()
        report = liaison_import(actor=actor, content=content, dry_run=dry_run)
        took = time.perf_counter() - started
        print(
            f"  {phase:<10} {took:6.2f} s  created={report.created} updated={report.updated} "
            f"unchanged={report.unchanged} errors={len(report.errors)}"
            + (f"  (target 20 s: {'met' if took < 20 else 'MISSED'})" if phase == "import" else "")
        )
    print(f"  people now: {Person.objects.count()}")


if __name__ == "__main__":
    main()
