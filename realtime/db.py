"""Database work for the sockets, off the event loop, on a few threads of its own.

Channels' `database_sync_to_async` runs everything on ONE thread per process,
so a thousand phones reconnecting after a restart queue behind each other's
round trips (a hello is ~4 queries). Hellos, replays and ack batches run here
instead, on ZHENGQI_WS_DB_THREADS threads, each with its own connection.
SQLite has one writer anyway (and its shared-cache test database fails
rather than waits on a lock held by another thread), so with SQLite the work
stays on channels' one database thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections

P = ParamSpec("P")
T = TypeVar("T")

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=settings.WS_DB_THREADS, thread_name_prefix="realtime-db")
        return _pool


def _fresh(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    # As Django does around a request: drop connections past their age or broken.
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


def _is_sqlite() -> bool:
    # Read from settings, not `connections["default"]`: on the event loop that
    # would build a DatabaseWrapper for every consumer (connections are per
    # async context), some twenty objects per socket for the GC to walk.
    return str(settings.DATABASES["default"]["ENGINE"]).endswith("sqlite3")


async def run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`await run(fn, ...)`: fn on one of the realtime database threads."""
    if _is_sqlite():
        return await database_sync_to_async(fn)(*args, **kwargs)
    call = sync_to_async(_fresh, thread_sensitive=False, executor=_executor())
    return await call(fn, *args, **kwargs)


def shutdown() -> None:
    """Close the threads' connections and stop them (tests, so that the test database can be dropped)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        # One task per thread (the barrier keeps each on its own), each closing its connection.
        barrier = threading.Barrier(settings.WS_DB_THREADS)

        def close_mine() -> None:
            connections.close_all()
            barrier.wait(timeout=5)

        for future in [pool.submit(close_mine) for _ in range(settings.WS_DB_THREADS)]:
            future.result()
        pool.shutdown(wait=True)
