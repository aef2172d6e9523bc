"""Periodic work of the liaisons app: live coverage updates for dashboards."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from core.jobs import periodic
from core.models import Area, AreaLevel
from liaisons.live import coverage_flush, coverage_watch


@periodic("coverage_live", every_s=settings.COVERAGE_ANNOUNCE_EVERY_S)
def coverage_live(now: datetime) -> int:
    """Announce duty/position changes per township, and the trailing edge of throttled ones.

    Safe in several worker processes: the cache's atomic add lets only one announce per window.
    """
    areas = dict(Area.objects.filter(level__in=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP]).values_list("code", "level"))
    townships = sorted(code for code, level in areas.items() if level == AreaLevel.TOWNSHIP)
    return coverage_watch(township_codes=townships, now=now) + coverage_flush(area_codes=sorted(areas), now=now)
