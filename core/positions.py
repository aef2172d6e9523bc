"""Live positions of on-duty people: one interface, two backends.

Dispatch (targeting) and coverage (the map) both read positions through
`positions()`. With REDIS_URL the store is shared by every server process
(Redis GEO); otherwise it is an in-process index, which is right for the
single-process embedded default. Only the latest fix per person is kept, and
going off duty removes it. Coordinates are WGS-84 (convert with core.geo first).
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol

import numpy as np
import numpy.typing as npt
from django.conf import settings

FRESH_FOR = timedelta(minutes=10)  # an older fix is stale: not used for targeting or coverage


@dataclass(frozen=True)
class Fix:
    person_id: int
    lat: float
    lon: float
    accuracy_m: float | None
    at: datetime


@dataclass(frozen=True, eq=False)  # arrays have no single truth value: compare the columns
class Points:
    """Fresh fixes found near a point, column by column: who and where (WGS-84 degrees).

    What targeting needs and nothing more: an alert's thousands of candidates arrive as three
    numpy arrays, not as a Python object each (see dispatch.recipients.nearest).
    """

    person_ids: npt.NDArray[np.int64]
    lats: npt.NDArray[np.float64]
    lons: npt.NDArray[np.float64]

    @classmethod
    def of(cls, fixes: Sequence[Fix]) -> Points:
        count = len(fixes)
        return cls(
            np.fromiter((f.person_id for f in fixes), dtype=np.int64, count=count),
            np.fromiter((f.lat for f in fixes), dtype=np.float64, count=count),
            np.fromiter((f.lon for f in fixes), dtype=np.float64, count=count),
        )

    def __len__(self) -> int:
        return len(self.person_ids)


class PositionStore(Protocol):
    def put(self, fix: Fix) -> None: ...
    def remove(self, person_id: int) -> None: ...
    def get(self, person_id: int) -> Fix | None: ...
    def near(self, *, lat: float, lon: float, radius_m: float, fresh_after: datetime) -> Points:
        """Fresh fixes within about radius_m (a fast pre-filter: callers compute exact distances)."""
        ...

    def fresh(self, *, fresh_after: datetime) -> list[Fix]: ...
    def prune(self, *, before: datetime) -> int:
        """Forget fixes taken before `before` (privacy: a stale fix serves nobody). Returns how many."""
        ...

    def clear(self) -> None: ...


_CELL_DEG = 0.05  # ~5.5 km of latitude per bucket


class MemoryStore:
    """A grid-bucketed in-process index (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fixes: dict[int, Fix] = {}
        self._cells: dict[tuple[int, int], set[int]] = defaultdict(set)

    @staticmethod
    def _cell(lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / _CELL_DEG), math.floor(lon / _CELL_DEG)

    def put(self, fix: Fix) -> None:
        with self._lock:
            self._drop(fix.person_id)
            self._fixes[fix.person_id] = fix
            self._cells[self._cell(fix.lat, fix.lon)].add(fix.person_id)

    def _drop(self, person_id: int) -> None:
        old = self._fixes.pop(person_id, None)
        if old is not None:
            cell = self._cells.get(self._cell(old.lat, old.lon))
            if cell is not None:
                cell.discard(person_id)

    def remove(self, person_id: int) -> None:
        with self._lock:
            self._drop(person_id)

    def get(self, person_id: int) -> Fix | None:
        return self._fixes.get(person_id)

    def near(self, *, lat: float, lon: float, radius_m: float, fresh_after: datetime) -> Points:
        dlat = radius_m / 111_000
        dlon = radius_m / (111_000 * max(math.cos(math.radians(lat)), 0.01))
        lo, hi = self._cell(lat - dlat, lon - dlon), self._cell(lat + dlat, lon + dlon)
        found: list[Fix] = []
        with self._lock:
            for i in range(lo[0], hi[0] + 1):
                for j in range(lo[1], hi[1] + 1):
                    for pid in self._cells.get((i, j), ()):
                        fix = self._fixes[pid]
                        if fix.at > fresh_after and abs(fix.lat - lat) <= dlat and abs(fix.lon - lon) <= dlon:
                            found.append(fix)
        return Points.of(found)

    def fresh(self, *, fresh_after: datetime) -> list[Fix]:
        with self._lock:
            return [f for f in self._fixes.values() if f.at > fresh_after]

    def prune(self, *, before: datetime) -> int:
        with self._lock:
            stale = [pid for pid, fix in self._fixes.items() if fix.at <= before]
            for pid in stale:
                self._drop(pid)
        return len(stale)

    def clear(self) -> None:
        with self._lock:
            self._fixes.clear()
            self._cells.clear()


def positions() -> PositionStore:
    """The process's position store (Redis GEO when REDIS_URL is set; see dispatch's issue)."""
    return _store_for(settings.REDIS_URL, settings.REDIS_PREFIX)


@lru_cache(maxsize=4)
def _store_for(redis_url: str, prefix: str) -> PositionStore:
    # Keyed by the settings, so a test that points REDIS_URL elsewhere for a while (an outage) finds the
    # same store, with its fixes, when it points back.
    if redis_url:
        from core.positions_redis import RedisGeoStore  # the shared backend, added with dispatch

        return RedisGeoStore(redis_url, prefix=prefix)
    return MemoryStore()
