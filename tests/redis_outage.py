"""A Redis outage inside the test process: every Redis client pointed at a closed loopback port.

Real code, real failures: a connection to a port nothing listens on is refused at once, as when
Redis is down. REDIS_URL (presence, the live feed), the cache (rate limits, the coverage throttle,
check-in failures) and the live position store all see it; `only_positions=True` leaves all but the
store alone (a socket test keeps its live feed). When the block ends Redis "comes back": the
original position store is found again with whatever it held.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.test import override_settings

import core.positions
from core.positions_redis import RedisGeoStore


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens there


@contextmanager
def redis_down(*, only_positions: bool = False) -> Iterator[None]:
    """Every Redis client of the process (or only the position store's) pointed at a closed port."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    store = RedisGeoStore(url, prefix="zq-down")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(core.positions, "_store_for", lambda redis_url, prefix: store)
        if only_positions:
            yield
            return
        cache = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        with override_settings(REDIS_URL=url, CACHES={"default": cache}):
            yield
