"""Benchmark: a year of trainings at the seed's scale (issue 5).

300 sessions x 2,000 invitees = 600,000 attendance rows. Measures, through the real HTTP path
(Django's test client, in-process, bearer tokens):
  - the city-wide attendance roll-up by county and by sector over the year (target < 300 ms),
    and its query count for a month versus the year (must not grow with the data);
  - a 2,000-person check-in burst on one session (target: all within 60 s, p99 < 100 ms).

Usage: .venv/bin/python bench/attendance.py [--database-url postgres://postgres@127.0.0.1:5432/zq_training]
Without --database-url it uses a temporary SQLite file. The PostgreSQL database named in the URL
is dropped and created afresh.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.support import fresh_postgres  # noqa: E402

SESSIONS = 300
INVITEES = 2000
STATUS_WEIGHTS = {"present": 70, "late": 10, "absent": 15, "excused": 5}
RUNS = 7


def setup_django(url: str) -> None:
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="core.settings",
        ALLOWED_HOSTS="testserver,127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(rng: random.Random) -> tuple[Any, list[Any]]:
    """2,000 people over Hebi's townships (96 teams, 8 sectors), a city admin, a year of sessions."""
    import secrets

    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.utils import timezone

    from core.demo import SECTORS
    from core.models import Area, Person, RoleGrant, Team
    from training.models import Attendance, AttendanceTally, Session
    from training.services.tallies import tally_rebuild

    townships = list(Area.objects.filter(level="township").order_by("code").values_list("code", flat=True))
    Team.objects.bulk_create([Team(name=f"bench{i}", area_id=t) for t in townships for i in range(2)])
    teams = {t: list(Team.objects.filter(area_id=t).values_list("pk", flat=True)) for t in townships}
    unusable = "!"  # an unusable password: these accounts log in by bearer token only
    User.objects.bulk_create([User(username=f"bench{i:04d}", password=unusable) for i in range(INVITEES + 1)])
    users = dict(User.objects.filter(username__startswith="bench").values_list("username", "pk"))
    Person.objects.bulk_create(
        [
            Person(
                user_id=users[f"bench{i:04d}"],
                name=f"成员{i}",
                phone=f"199{i:08d}",
                home_area_id=townships[i % len(townships)] if i else "410600",
                team_id=teams[townships[i % len(townships)]][i % 2] if i else None,
            )
            for i in range(INVITEES + 1)
        ],
        batch_size=1000,
    )
    admin = User.objects.get(username="bench0000")
    RoleGrant.objects.create(user=admin, role="city_admin", area_id="410600")
    people = list(Person.objects.exclude(user=admin).order_by("pk").values_list("pk", "home_area_id", "team_id"))
    sector_of = {pk: SECTORS[n % len(SECTORS)] for n, (pk, _a, _t) in enumerate(people)}
    host = Person.objects.get(user=admin)

    year = timezone.make_aware(datetime(2026, 1, 1))
    Session.objects.bulk_create(
        [
            Session(
                kind="training",
                title=f"培训{i}",
                start=year + timedelta(hours=29 * i),
                end=year + timedelta(hours=29 * i + 2),
                mode="video",
                status="ended",
                host_area_id="410600",
                host=host,
                secret=secrets.token_hex(32),
                room_key=secrets.token_hex(4),
                closed_at=year,
            )
            for i in range(SESSIONS)
        ]
    )
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    columns = "session_id, person_id, status, session_start, area_code, township_code, county_code, team_id, sector"
    insert = f"INSERT INTO {Attendance._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * 9)})"  # noqa: S608
    started = time.perf_counter()
    # Raw batched inserts: building 600,000 model instances would time Python, not the database.
    with transaction.atomic(), connection.cursor() as cursor:
        for session in Session.objects.order_by("pk"):
            start = connection.ops.adapt_datetimefield_value(session.start)
            cursor.executemany(
                insert,
                [
                    (
                        session.pk,
                        pk,
                        rng.choices(statuses, weights)[0],
                        start,
                        area,
                        area[:9],
                        area[:6],
                        team,
                        sector_of[pk],
                    )
                    for pk, area, team in people
                ],
            )
    print(f"inserted {Attendance.objects.count():,} attendance rows in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    for session in Session.objects.order_by("pk"):
        tally_rebuild(session=session)
    print(
        f"tallied {SESSIONS} closed sessions into {AttendanceTally.objects.count():,} rows "
        f"in {time.perf_counter() - started:.1f} s ({(time.perf_counter() - started) / SESSIONS * 1000:.0f} ms each)"
    )
    with connection.cursor() as cursor:
        # What autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) leaves: planner statistics.
        cursor.execute("ANALYZE")
    return admin, people


def token_for(user: Any) -> str:
    import secrets

    from django.utils import timezone

    from core.crypto import token_digest
    from core.models import ApiToken

    raw = "zq_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, digest=token_digest(raw), expires_at=timezone.now() + timedelta(days=1))
    return raw


def counted(row: dict[str, Any], by: str) -> bool:
    """In a roll-up every invitation shows up at three levels; count the city row only."""
    return by != "rollup" or row["level"] == "city"


def rollups(admin: Any) -> list[str]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(admin)}")
    client.get("/api/v1/me")  # the token's first use writes last_used_at; keep that out of the counts
    lines = []
    for by in ("county", "sector", "rollup"):
        queries = {}
        for label, since, until in (("month", "2026-03-01", "2026-04-01"), ("year", "2026-01-01", "2027-01-01")):
            url = f"/api/v1/sessions/reports/attendance?by={by}&since={since}&until={until}"
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            assert response.status_code == 200, response.content
            queries[label] = len(captured.captured_queries)
        timings = []
        for _ in range(RUNS):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        rows = response.json()["items"]
        total = sum(r["present"] + r["late"] + r["absent"] + r["excused"] for r in rows if counted(r, by))
        lines.append(
            f"roll-up by={by:<7} year: median {statistics.median(timings):6.1f} ms, max {max(timings):6.1f} ms, "
            f"{len(rows)} rows, {total:,} invitations counted; "
            f"queries month={queries['month']} year={queries['year']}"
        )
    return lines


def burst(admin: Any, people: list[Any]) -> list[str]:
    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from core.crypto import token_digest
    from core.models import ApiToken
    from training import codes
    from training.models import Session
    from training.services.sessions import session_create

    now = timezone.now()
    started = time.perf_counter()
    session = session_create(
        actor=admin,
        kind="meeting",
        title="全市视频会议",
        start=now + timedelta(minutes=5),
        end=now + timedelta(hours=2),
        mode="video",
    )
    created_s = time.perf_counter() - started
    invited = session.attendances.count()
    user_ids = dict(User.objects.filter(person__pk__in=[p[0] for p in people]).values_list("person__pk", "pk"))
    raws = {pk: f"zq_bench_{pk:08d}_" + "x" * 20 for pk, _a, _t in people}
    ApiToken.objects.bulk_create(
        [
            ApiToken(user_id=user_ids[pk], digest=token_digest(raw), expires_at=now + timedelta(days=1))
            for pk, raw in raws.items()
        ],
        batch_size=1000,
    )
    secret = Session.objects.get(pk=session.pk).secret
    client = Client()
    url = f"/api/v1/sessions/{session.pk}/checkin"
    latencies = []
    statuses: dict[str, int] = {}
    burst_started = time.perf_counter()
    for pk, raw in raws.items():
        code, _until = codes.current(secret, timezone.now())
        t0 = time.perf_counter()
        response = client.post(url, {"code": code}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
        latencies.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (pk, response.content)
        statuses[response.json()["status"]] = statuses.get(response.json()["status"], 0) + 1
    total = time.perf_counter() - burst_started
    latencies.sort()
    pct = {p: latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] for p in (50, 95, 99)}
    return [
        f"session_create with {invited:,} invitees (durable invitations): {created_s * 1000:.0f} ms",
        f"check-in burst: {len(latencies):,} check-ins in {total:.1f} s; p50 {pct[50]:.1f} ms, p95 {pct[95]:.1f} ms, "
        f"p99 {pct[99]:.1f} ms, max {latencies[-1]:.1f} ms; statuses {statuses}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_postgres(args.database_url) if args.database_url else f"sqlite:///{tmp}/attendance.sqlite3"
        setup_django(url)
        from django.db import connection

        print(f"backend: {connection.vendor}")
        admin, people = build(random.Random(args.seed))
        for line in rollups(admin):
            print(line)
        for line in burst(admin, people):
            print(line)
        connection.close()


if __name__ == "__main__":
    main()
