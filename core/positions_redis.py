"""Live positions in Redis GEO: the backend shared by every server process when REDIS_URL is set.

Two keys per deployment (both under settings.REDIS_PREFIX):
- `<prefix>:positions:geo`, a GEO set (person id -> point) answering GEOSEARCH;
- `<prefix>:positions:fix`, a hash (person id -> "lat|lon|accuracy|epoch") with the exact
  WGS-84 point (GEO's 52-bit geohash rounds to ~0.6 m), the accuracy and when it was taken.

Both are written in one MULTI/EXEC, so a reader never sees a point without its time.
Stale fixes (older than core.positions.FRESH_FOR) stay until the person moves,
goes off duty or is pruned, and every read ignores them.

When Redis cannot be reached (or refuses a command) every method raises
core.errors.PositionsUnavailable, which the API answers with 503
`positions_unavailable` and Retry-After: callers decide what can go on without
positions (docs/DEPLOY.md, "When something fails").
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import numpy as np
import redis
from django.conf import settings

from core.errors import PositionsUnavailable
from core.positions import Fix, Points

logger = logging.getLogger("zhengqi.positions")

# Redis GEO measures on a sphere; the WGS-84 ellipsoid differs by up to ~0.5 %.
# The pre-filter asks for a little more so the exact geodesic check never misses anyone.
_SPHERE_MARGIN = 1.006


# GEOSEARCH, then the fixes of what it found from the hash (HMGET, 1,000 ids at a time: Lua's
# `unpack` has a stack limit); stale fixes are dropped here, and what is left comes back as one
# string "id|lat|lon|id|lat|lon|..." with the coordinates exactly as stored: one reply to parse,
# not two per person.
_NEAR_LUA = """
local ids = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2], 'BYRADIUS', ARGV[3], 'm')
local cutoff = tonumber(ARGV[4])
local out = {}
for first = 1, #ids, 1000 do
  local fixes = redis.call('HMGET', KEYS[2], unpack(ids, first, math.min(first + 999, #ids)))
  for k = 1, #fixes do
    local raw = fixes[k]
    if raw then  -- false: the point's fix was removed between the two writes of a put
      local lat, lon, epoch = string.match(raw, '^([^|]+)|([^|]+)|[^|]*|(.+)$')
      if epoch and tonumber(epoch) > cutoff then
        out[#out + 1] = ids[first + k - 1] .. '|' .. lat .. '|' .. lon
      end
    end
  end
end
return table.concat(out, '|')
"""


def _encode(fix: Fix) -> str:
    accuracy = "" if fix.accuracy_m is None else repr(float(fix.accuracy_m))
    return f"{fix.lat!r}|{fix.lon!r}|{accuracy}|{fix.at.timestamp()!r}"


def _decode(person_id: int, raw: bytes | str) -> Fix:
    text = raw.decode() if isinstance(raw, bytes) else raw
    lat, lon, accuracy, epoch = text.split("|")
    return Fix(
        person_id=person_id,
        lat=float(lat),
        lon=float(lon),
        accuracy_m=float(accuracy) if accuracy else None,
        at=datetime.fromtimestamp(float(epoch), tz=UTC),
    )


@contextmanager
def _reachable() -> Iterator[None]:
    try:
        yield
    except redis.RedisError as exc:
        logger.warning("live positions unavailable: %s", exc)
        raise PositionsUnavailable() from exc


class RedisGeoStore:
    """The PositionStore protocol over Redis GEOADD/GEOSEARCH plus a hash for accuracy and time."""

    def __init__(self, url: str, *, prefix: str | None = None) -> None:
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        base = prefix if prefix is not None else settings.REDIS_PREFIX
        self._geo = f"{base}:positions:geo"
        self._fix = f"{base}:positions:fix"
        self._near_script = self._redis.register_script(_NEAR_LUA)

    def put(self, fix: Fix) -> None:
        with _reachable():
            pipe = self._redis.pipeline(transaction=True)
            pipe.geoadd(self._geo, (fix.lon, fix.lat, fix.person_id))
            pipe.hset(self._fix, str(fix.person_id), _encode(fix))
            pipe.execute()

    def put_many(self, fixes: list[Fix]) -> None:
        """Bulk load (benchmarks, warm-up): one round trip per 10,000 fixes."""
        with _reachable():
            for start in range(0, len(fixes), 10_000):
                chunk = fixes[start : start + 10_000]
                pipe = self._redis.pipeline(transaction=False)
                pipe.geoadd(self._geo, [v for f in chunk for v in (f.lon, f.lat, f.person_id)])
                pipe.hset(self._fix, mapping={str(f.person_id): _encode(f) for f in chunk})
                pipe.execute()

    def remove(self, person_id: int) -> None:
        with _reachable():
            pipe = self._redis.pipeline(transaction=True)
            pipe.zrem(self._geo, person_id)
            pipe.hdel(self._fix, str(person_id))
            pipe.execute()

    def get(self, person_id: int) -> Fix | None:
        with _reachable():
            raw = self._redis.hget(self._fix, str(person_id))
            return _decode(person_id, raw) if isinstance(raw, bytes | str) else None

    def near(self, *, lat: float, lon: float, radius_m: float, fresh_after: datetime) -> Points:
        with _reachable():
            # One round trip: the search and the fixes of what it found, read atomically on the server.
            found = self._near_script(
                keys=[self._geo, self._fix],
                args=[lon, lat, radius_m * _SPHERE_MARGIN + 1.0, repr(fresh_after.timestamp())],
            )
        if not found:
            return Points(np.empty(0, dtype=np.int64), np.empty(0), np.empty(0))
        values = found.split(b"|")
        return Points(
            np.array(list(map(int, values[0::3])), dtype=np.int64),
            np.array(list(map(float, values[1::3])), dtype=np.float64),
            np.array(list(map(float, values[2::3])), dtype=np.float64),
        )

    def fresh(self, *, fresh_after: datetime) -> list[Fix]:
        with _reachable():
            cutoff = fresh_after.timestamp()
            fixes = (_decode(int(k), v) for k, v in self._redis.hgetall(self._fix).items())
            return [f for f in fixes if f.at.timestamp() > cutoff]

    def prune(self, *, before: datetime) -> int:
        """Drop fixes taken before `before` (stale ones nobody reads). Returns how many went."""
        with _reachable():
            cutoff = before.timestamp()
            stale = [
                k for k, v in self._redis.hgetall(self._fix).items() if _decode(int(k), v).at.timestamp() <= cutoff
            ]
            if stale:  # all of them in one round trip
                pipe = self._redis.pipeline(transaction=True)
                pipe.zrem(self._geo, *stale)
                pipe.hdel(self._fix, *stale)
                pipe.execute()
            return len(stale)

    def clear(self) -> None:
        with _reachable():
            self._redis.delete(self._geo, self._fix)
