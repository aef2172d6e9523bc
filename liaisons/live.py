"""Live coverage for dashboards: throttled `coverage.changed` announcements per township.

Two ways in, so that no app has to import another against the dependency rules:
- `coverage_changed(area_code=...)`: anyone allowed to call liaisons' services (the import
  here; a duty or location service that may import liaisons) nudges the dashboards at once;
- the `coverage_live` job (liaisons/jobs.py) watches the position store itself: when the set
  of on-duty people homed in a township, or their positions (to ~100 m), changes, it
  announces, so going on/off duty and moving are seen without anyone calling in.
An announcement for a township reaches the dashboards of that township, its county and the
city (realtime fans out to every covering prefix). At most one per township (or per county,
for county-wide changes) per COVERAGE_ANNOUNCE_EVERY_S, across every server process (the
shared cache's atomic add decides); a change inside the window marks the area dirty and the
job announces it when the window ends, so the last change is never lost.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from datetime import datetime
from typing import Literal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from redis.exceptions import RedisError

from core.jurisdiction import Jurisdiction
from core.logging import Repeated
from liaisons.coverage_selectors import on_duty_fixes
from liaisons.events import CoverageChanged, ImportProgress
from realtime.events import announce

logger = logging.getLogger("zhengqi.coverage")
_cache_down = Repeated(logger, "coverage updates not announced: the cache is unavailable")

_SENT = "zq:coverage:sent:{}"
_DIRTY = "zq:coverage:dirty:{}"
_DIGEST = "zq:coverage:digest:{}"
_DIGEST_TTL_S = 24 * 3600


def _unit(area_code: str) -> str:
    """The area an announcement is about: the township (a village's too), or the county/city given."""
    return area_code[:9] if len(area_code) >= 9 else area_code


def coverage_changed(*, area_code: str, now: datetime | None = None, on_duty: int | None = None) -> bool:
    """Tell the dashboards covering `area_code` (a township, or a county) that its coverage changed; throttled.

    Returns whether it announced now (False: throttled, and the area is marked dirty).
    """
    unit = _unit(area_code)
    every = settings.COVERAGE_ANNOUNCE_EVERY_S
    try:
        sent = cache.add(_SENT.format(unit), 1, timeout=every)
        if sent:
            announce(CoverageChanged(area_code=unit, at=now or timezone.now(), on_duty=on_duty), area_code=unit)
        else:
            cache.set(_DIRTY.format(unit), 1, timeout=every * 10)
    except RedisError as exc:
        # The shared cache (Redis) is away, and with it the live feed: nothing to announce on. Callers run
        # after their commit, so this must not fail them; dashboards refetch when their socket comes back.
        # (The live job calls this for every township on every run: logged once, not per township.)
        _cache_down.failed(exc)
        return False
    _cache_down.succeeded()
    return sent


def coverage_flush(*, area_codes: list[str], now: datetime | None = None) -> int:
    """Announce the areas marked dirty whose throttle window has ended; returns how many."""
    sent = 0
    for code in area_codes:
        if cache.get(_DIRTY.format(code)) and coverage_changed(area_code=code, now=now):
            cache.delete(_DIRTY.format(code))
            sent += 1
    return sent


def coverage_watch(*, township_codes: list[str], now: datetime) -> int:
    """Announce each township whose on-duty people or their positions changed since the last look."""
    by_township: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    for fix, home in on_duty_fixes(jurisdiction=Jurisdiction.from_prefixes(township_codes), now=now):
        by_township[home[:9]].append((fix.person_id, round(fix.lat, 3), round(fix.lon, 3)))
    sent = 0
    for township in township_codes:
        seen = sorted(by_township.get(township, ()))
        digest = hashlib.sha256(repr(seen).encode()).hexdigest()
        before = cache.get(_DIGEST.format(township))
        if before == digest:
            continue
        cache.set(_DIGEST.format(township), digest, timeout=_DIGEST_TTL_S)
        if before is not None or seen:  # a first look at an empty township is no change
            sent += coverage_changed(area_code=township, now=now, on_duty=len(seen))
    return sent


class ImportProgressFeed:
    """A progress callback (one call per row checked) that announces an import's progress to the dashboards
    covering `area_codes` (the importer's own areas) every `every` rows, and its phases.

    Announced outside the import's transaction, so each frame leaves at once; `done` leaves after the commit.
    """

    def __init__(self, *, key: str, area_codes: list[str], every: int) -> None:
        self.key, self.area_codes, self.every = key, area_codes, every
        self.rows = 0
        self._sent_at = 0

    def __call__(self, count: int) -> None:
        self.rows += count
        if self.rows - self._sent_at >= self.every:
            self._sent_at = self.rows
            self.phase("checking")

    def phase(self, phase: Literal["checking", "writing", "done", "failed"]) -> None:
        event = ImportProgress(key=self.key, phase=phase, rows=self.rows)
        for code in self.area_codes:
            announce(event, area_code=code)
