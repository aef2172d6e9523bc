"""Redis connections for the real-time backbone, and the names of its keys and channels."""

from __future__ import annotations

from functools import lru_cache

import redis
import redis.asyncio
from django.conf import settings


def key(name: str) -> str:
    """A key or pub/sub channel name under this deployment's prefix (pub/sub ignores the database number)."""
    return f"{settings.REDIS_PREFIX}:{name}"


@lru_cache(maxsize=4)
def _sync_for(url: str) -> redis.Redis:
    # Short timeouts: a publisher must not hang a request when Redis is away
    # (the event is stored; replay delivers it).
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=1, health_check_interval=30)


def sync() -> redis.Redis:
    """The process's thread-safe client (a connection pool) for publishing and presence."""
    return _sync_for(settings.REDIS_URL)


def subscriber() -> redis.asyncio.Redis:
    """A fresh asyncio client for one live-feed subscription.

    No socket timeout: a subscription is idle for as long as nobody publishes
    (the health check pings instead, so a dead Redis is still noticed).
    """
    return redis.asyncio.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=None,
        socket_connect_timeout=2,
        health_check_interval=15,
        socket_keepalive=True,
    )
