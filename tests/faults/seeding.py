"""People for real-process tests and the soak, created in bulk inside `manage.py shell` (see harness.seed).

spec = {
  "staff": [{"username": "coord", "role": "county_coordinator", "area": "410611"}],
  "phones": {"count": 10, "prefix": "phone", "homes": ["410611001"], "on_duty": 10, "teams": 0},
}
Writes {"staff": {username: token}, "phones": [{"person", "username", "token", "team"}], "teams": [ids]}.
Staff log in with harness.PASSWORD too; phones are token-only unless spec["phones"]["password"] is true.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from core.crypto import token_digest
from core.models import ApiToken, DutyStatus, Person, RoleGrant, Team
from core.services.tokens import TOKEN_PREFIX

PASSWORD = "correct-horse-battery"  # the same as harness.PASSWORD


def _token(user: Any, expires: Any, tokens: list[ApiToken]) -> str:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tokens.append(ApiToken(user=user, digest=token_digest(raw), expires_at=expires))
    return raw


@transaction.atomic
def run(spec_json: str, out: str) -> None:
    spec = json.loads(spec_json)
    users = get_user_model()
    expires = timezone.now() + timedelta(hours=12)
    hashed = make_password(PASSWORD)
    tokens: list[ApiToken] = []
    result: dict[str, Any] = {"staff": {}, "phones": [], "teams": []}
    for n, staff in enumerate(spec.get("staff", [])):
        user = users.objects.create(username=staff["username"], password=hashed)
        RoleGrant.objects.create(user=user, role=staff["role"], area_id=staff["area"])
        if staff.get("person"):
            Person.objects.create(
                user=user, name=staff["username"], phone=f"1370000{n:04d}", home_area_id=staff["area"]
            )
        result["staff"][staff["username"]] = _token(user, expires, tokens)
    phones = spec.get("phones")
    if phones:
        count, prefix, homes = phones["count"], phones.get("prefix", "phone"), phones.get("homes", ["410611001"])
        password = hashed if phones.get("password") else "!"
        created = users.objects.bulk_create(
            [users(username=f"{prefix}{i:05d}", password=password) for i in range(count)], batch_size=2000
        )
        teams = [
            Team.objects.create(name=f"{prefix} team {t}", area_id=phones.get("team_area", homes[0]))
            for t in range(phones.get("teams", 0))
        ]
        result["teams"] = [t.pk for t in teams]
        people = Person.objects.bulk_create(
            [
                Person(
                    user=u,
                    name=f"{prefix} {i}",
                    phone=f"139{i:08d}",
                    home_area_id=homes[i % len(homes)],
                    team=teams[i % len(teams)] if teams else None,
                )
                for i, u in enumerate(created)
            ],
            batch_size=2000,
        )
        RoleGrant.objects.bulk_create(
            [
                RoleGrant(user=u, role=phones.get("role", "volunteer"), area_id=p.home_area_id)
                for u, p in zip(created, people, strict=True)
            ],
            batch_size=2000,
        )
        now = timezone.now()
        DutyStatus.objects.bulk_create(
            [DutyStatus(person=p, on_duty=True, changed_at=now) for p in people[: phones.get("on_duty", 0)]],
            batch_size=2000,
        )
        result["phones"] = [
            {
                "person": p.pk,
                "username": u.username,
                "token": _token(u, expires, tokens),
                "team": p.team_id,
                "on_duty": i < phones.get("on_duty", 0),
            }
            for i, (u, p) in enumerate(zip(created, people, strict=True))
        ]
    ApiToken.objects.bulk_create(tokens, batch_size=2000)
    Path(out).write_text(json.dumps(result))
