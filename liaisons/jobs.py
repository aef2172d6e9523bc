"""Periodic work of the liaisons app: the trailing edge of throttled coverage updates."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from core.jobs import periodic
from core.models import Area, AreaLevel
from liaisons.services import coverage_flush


@periodic("coverage_flush", every_s=settings.COVERAGE_ANNOUNCE_EVERY_S)
def flush_coverage_updates(now: datetime) -> int:
    # coverage_changed's cache.add claims each announcement, so two workers never both send it.
    counties = list(Area.objects.filter(level=AreaLevel.COUNTY).values_list("code", flat=True))
    return coverage_flush(county_codes=counties, now=now)
