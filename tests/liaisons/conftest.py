from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from core.models import Area
from core.positions import MemoryStore
from liaisons.models import CoverageTarget, Sector, SectorShift
from liaisons.sectors import seed_sectors
from realtime.presence import PresenceStore
from realtime.presence import store as presence_store


@pytest.fixture(autouse=True)
def _sectors(hebi: None) -> None:
    if not Sector.objects.exists():  # transactional tests flush the migration's rows
        seed_sectors(Sector, SectorShift, CoverageTarget, Area)


@pytest.fixture(autouse=True)
def _own_cache(settings: Any) -> Iterator[None]:
    """A private cache per test: the throttle's keys never meet another test's (or a shared Redis's)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "liaisons"}}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def store(monkeypatch: pytest.MonkeyPatch) -> MemoryStore:
    """The live positions coverage reads: an empty in-process store per test.

    Coverage is about what it does with fresh fixes, not about the store (whose Redis backend
    has its own tests), so these tests hold the store still whatever REDIS_URL says.
    """
    found = MemoryStore()
    monkeypatch.setattr("liaisons.coverage_selectors.positions", lambda: found)
    return found


@pytest.fixture(autouse=True)
def presence(settings: Any) -> PresenceStore:
    """Who is connected: realtime's real presence store (Redis when REDIS_URL is set, else in-process),
    under a key prefix of this test's own, so no other test's or server's sockets are counted."""
    settings.REDIS_PREFIX = f"zqtest{uuid4().hex[:12]}"
    return presence_store()
