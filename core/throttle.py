"""Per-user rate limit for the API: a fixed one-minute window per user, counted in the shared cache.

With REDIS_URL the cache is Redis, so the limit holds across every server process; the
embedded default counts per process. The anonymous endpoint (POST /auth/token) is limited
by django-axes' lockout instead, and the sockets by their own per-socket token bucket.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle
from redis import RedisError

from core.logging import Repeated

logger = logging.getLogger("zhengqi.api")
_cache_down = Repeated(logger, "rate limit not checked: the cache is unavailable")


class UserMinuteThrottle(BaseThrottle):
    """At most settings.API_RATE_PER_MINUTE calls per user per clock minute (0 turns it off)."""

    def allow_request(self, request: HttpRequest) -> bool:
        limit = settings.API_RATE_PER_MINUTE
        user = getattr(request, "user", None)
        if not limit or user is None or not user.is_authenticated:
            return True
        window = int(time.time() // 60)
        # The join time too: a row id can come back (a test's rolled-back user, a restored database).
        joined = int(user.date_joined.timestamp() * 1e6) if getattr(user, "date_joined", None) else 0
        key = f"zq:rate:{user.pk}.{joined}:{window}"
        try:
            # add() then incr(): both atomic in Redis, so concurrent processes never lose a count.
            cache.add(key, 0, timeout=120)
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=120)
                count = 1
        except RedisError as exc:
            # The shared cache is away (Redis down): let the call through rather than fail it;
            # raising and answering alerts matters more than the limit (tests/faults/test_redis_restart.py).
            _cache_down.failed(exc)
            return True
        _cache_down.succeeded()
        self._wait = 60 - time.time() % 60
        return count <= limit

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)
