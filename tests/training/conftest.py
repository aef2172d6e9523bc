"""Fixtures for trainings and meetings: a frozen clock, hosts at each level, sessions made through the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.utils import timezone

from core.models import Area
from realtime.models import StreamEvent
from tests.conftest import QIXIAN_TOWNSHIP, ApiClient
from tests.factories import TeamFactory

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))


class Clock:
    """The time `django.utils.timezone.now()` returns while the test runs."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock(T0)
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


@pytest.fixture
def session_body() -> Callable[..., dict[str, Any]]:
    def body(**over: Any) -> dict[str, Any]:
        start = over.pop("start", T0 + timedelta(days=1))
        end = over.pop("end", start + timedelta(hours=2))
        return {
            "kind": "training",
            "title": "防汛救援培训",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "mode": "video",
            **over,
        }

    return body


@pytest.fixture
def team_in(hebi: None) -> Callable[..., Any]:
    def make(area_code: str = QIXIAN_TOWNSHIP, **kw: Any) -> Any:
        return TeamFactory(area=Area.objects.get(code=area_code), **kw)

    return make


def events_of(person: Any, type_: str) -> list[dict[str, Any]]:
    return [
        e.payload for e in StreamEvent.objects.select_related("body").filter(person=person, type=type_).order_by("seq")
    ]


def create_session(client: ApiClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/sessions", body)
    assert response.status_code == 201, response.content
    return dict(response.json())


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings: Any) -> None:
    # Person ids are reused between tests; wrong-code counters must not leak across them. A key prefix
    # of the test's own rather than cache.clear(), which on a Redis cache would flush the whole database.
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"zqtest{uuid4().hex[:12]}"} for name, config in settings.CACHES.items()
    }
