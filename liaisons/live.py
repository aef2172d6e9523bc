"""Live coverage for dashboards: throttled `coverage.changed` announcements per county.

Two ways in, so that no app has to import another against the dependency rules:
- `coverage_changed(area_code=...)`: anyone allowed to call liaisons' services (the import
  here; a duty or location service that may import liaisons) nudges the dashboards at once;
- the `coverage_live` job (liaisons/jobs.py) watches the position store itself: when the set
  of on-duty people or their positions (to ~100 m) in a county changes, it announces, so
  going on/off duty and moving are seen without anyone calling in.
Either way at most one announcement per county per COVERAGE_ANNOUNCE_EVERY_S, across every
server process (the shared cache's atomic add decides); a change inside the window marks the
county dirty and the job announces it when the window ends, so the last change is never lost.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from core.jurisdiction import Jurisdiction
from liaisons.coverage_selectors import on_duty_fixes
from liaisons.events import CoverageChanged
from realtime.events import announce

_SENT = "zq:coverage:sent:{}"
_DIRTY = "zq:coverage:dirty:{}"
_DIGEST = "zq:coverage:digest:{}"
_DIGEST_TTL_S = 24 * 3600


def coverage_changed(*, area_code: str, now: datetime | None = None, on_duty: int | None = None) -> bool:
    """Tell the dashboards covering `area_code`'s county that its coverage changed; throttled.

    Returns whether it announced now (False: throttled, and the county is marked dirty).
    """
    county = area_code[:6]
    every = settings.COVERAGE_ANNOUNCE_EVERY_S
    if cache.add(_SENT.format(county), 1, timeout=every):
        announce(CoverageChanged(area_code=county, at=now or timezone.now(), on_duty=on_duty), area_code=county)
        return True
    cache.set(_DIRTY.format(county), 1, timeout=every * 10)
    return False


def coverage_flush(*, county_codes: list[str], now: datetime | None = None) -> int:
    """Announce the counties marked dirty whose throttle window has ended; returns how many."""
    sent = 0
    for county in county_codes:
        if cache.get(_DIRTY.format(county)) and coverage_changed(area_code=county, now=now):
            cache.delete(_DIRTY.format(county))
            sent += 1
    return sent


def coverage_watch(*, county_codes: list[str], now: datetime) -> int:
    """Announce each county whose on-duty people or their positions changed since the last look."""
    by_county: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    for fix, home in on_duty_fixes(jurisdiction=Jurisdiction.from_prefixes(county_codes), now=now):
        by_county[home[:6]].append((fix.person_id, round(fix.lat, 3), round(fix.lon, 3)))
    sent = 0
    for county in county_codes:
        seen = sorted(by_county.get(county, ()))
        digest = hashlib.sha256(repr(seen).encode()).hexdigest()
        if cache.get(_DIGEST.format(county)) == digest:
            continue
        first_look = cache.get(_DIGEST.format(county)) is None and not seen
        cache.set(_DIGEST.format(county), digest, timeout=_DIGEST_TTL_S)
        if not first_look:
            sent += coverage_changed(area_code=county, now=now, on_duty=len(seen))
    return sent
