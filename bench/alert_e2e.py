"""Raising an alert to 2,000 on-duty recipients: the server's share of the end-to-end time.

Measures `POST /api/v1/alerts` (radius 3 km, 2,000 on-duty people with fresh fixes inside it)
from request to committed response: recipient selection, 2,000 Delivery rows, 2,000 durable
per-person events (each with its own distance and bearing), audit, and the after-commit push
hand-off. The phones' side (2,000 sockets over 2 processes until the last one has the alert)
needs the real-time backbone's cross-process fan-out (issue 3) and is not measured here.

It creates its own people in the database named by DATABASE_URL (use a scratch one, e.g.
postgres://postgres@127.0.0.1:5432/zq_dispatch_bench, migrated) and deletes them afterwards.

Usage: DATABASE_URL=... .venv/bin/python bench/alert_e2e.py [--recipients 2000] [--alerts 10]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import secrets
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
os.environ.setdefault("ZHENGQI_ESCALATION_DELAY_S", "3600")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from geopy.distance import geodesic  # noqa: E402

from core.crypto import token_digest  # noqa: E402
from core.models import ApiToken, DutyStatus, Person, RoleGrant  # noqa: E402
from core.positions import Fix, positions  # noqa: E402
from dispatch.models import Alert  # noqa: E402
from realtime.models import Stream  # noqa: E402

JINSHAN = (35.774691, 114.240340)
TOWNSHIP = "410611001"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--alerts", type=int, default=10)
    args = parser.parse_args()
    tag = secrets.token_hex(3)
    now = timezone.now()

    people = Person.objects.bulk_create(
        [
            Person(name=f"bench{i}", phone=f"1{tag[:2]}{i:08d}"[:11], home_area_id=TOWNSHIP)
            for i in range(args.recipients)
        ]
    )
    DutyStatus.objects.bulk_create([DutyStatus(person=p, on_duty=True, changed_at=now) for p in people])
    for i, person in enumerate(people):
        spot = geodesic(meters=2900 * math.sqrt((i + 0.5) / len(people))).destination(JINSHAN, (i * 137.5) % 360)
        positions().put(Fix(person_id=person.pk, lat=spot.latitude, lon=spot.longitude, accuracy_m=10.0, at=now))
    user = User.objects.create(username=f"bench-coordinator-{tag}")
    RoleGrant.objects.create(user=user, role="county_coordinator", area_id="410611")
    raw = f"zq_bench_{secrets.token_urlsafe(24)}"
    ApiToken.objects.create(user=user, digest=token_digest(raw), expires_at=now + timedelta(hours=1))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_HOST="127.0.0.1")
    body = {"kind": "fire", "title": "bench", "lat": JINSHAN[0], "lon": JINSHAN[1], "radius_m": 3000, "needed": 5}

    timings = []
    try:
        for _ in range(args.alerts):
            start = time.perf_counter()
            response = client.post("/api/v1/alerts", body, content_type="application/json")
            timings.append((time.perf_counter() - start) * 1000)
            if response.status_code != 201 or response.json()["recipients"] != args.recipients:
                raise SystemExit(f"unexpected answer: {response.status_code} {response.content[:300]!r}")
    finally:
        Alert.objects.filter(created_by=user).delete()
        Stream.objects.filter(person__in=people).delete()
        for person in people:
            positions().remove(person.pk)
        Person.objects.filter(pk__in=[p.pk for p in people]).delete()
        user.delete()

    print(f"POST /api/v1/alerts to {args.recipients:,} on-duty recipients within 3 km ({connection.vendor})")
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus, {time.strftime('%Y-%m-%d %H:%M')}")
    print(
        f"alerts {len(timings)}: p50 {_pct(timings, 0.5):.0f} ms, p99 {_pct(timings, 0.99):.0f} ms, "
        f"mean {statistics.mean(timings):.0f} ms"
    )


if __name__ == "__main__":
    main()
