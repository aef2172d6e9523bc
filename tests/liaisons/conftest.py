from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from core.models import Area
from core.positions import positions
from liaisons.models import CoverageTarget, Sector, SectorShift
from liaisons.sectors import seed_sectors


@pytest.fixture(autouse=True)
def _clean_live_state(hebi: None) -> Iterator[None]:
    """Positions and the throttle cache are process-wide: each test starts with none; sectors exist."""
    if not Sector.objects.exists():  # transactional tests flush the migration's rows
        seed_sectors(Sector, SectorShift, CoverageTarget, Area)
    positions().clear()
    cache.clear()
    yield
    positions().clear()
    cache.clear()
