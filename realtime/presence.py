"""Presence: which people have a phone socket open right now, and where they live.

Each server process writes the snapshot of its own sockets with an expiry
and rewrites it on a heartbeat, so a process that is killed leaves no ghosts:
its record simply expires. With REDIS_URL the records live in Redis (shared by
every process); otherwise in this process's memory.

Readers (dashboards, coverage) use `connected_person_ids()` and `counts_by_area()`.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import Protocol

from django.conf import settings

from realtime import redis_client


class PresenceStore(Protocol):
    def write(self, *, process_id: str, people: dict[int, str]) -> None:
        """Replace this process's snapshot (person id -> home area code) and renew its expiry."""

    def change(self, *, process_id: str, added: dict[int, str], removed: set[int]) -> None:
        """Apply what changed since the last write or change, and renew the expiry (cheap: no full snapshot)."""

    def forget(self, *, process_id: str) -> None: ...

    def connected(self) -> dict[int, str]:
        """Every connected person (id -> home area code) across live processes."""
        ...


class MemoryPresence:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, tuple[float, dict[int, str]]] = {}

    def write(self, *, process_id: str, people: dict[int, str]) -> None:
        with self._lock:
            self._records[process_id] = (time.monotonic() + settings.PRESENCE_TTL_SECONDS, dict(people))

    def change(self, *, process_id: str, added: dict[int, str], removed: set[int]) -> None:
        with self._lock:
            _expires, people = self._records.get(process_id, (0.0, {}))
            for pid in removed:
                people.pop(pid, None)
            people.update(added)
            self._records[process_id] = (time.monotonic() + settings.PRESENCE_TTL_SECONDS, people)

    def forget(self, *, process_id: str) -> None:
        with self._lock:
            self._records.pop(process_id, None)

    def connected(self) -> dict[int, str]:
        now = time.monotonic()
        merged: dict[int, str] = {}
        with self._lock:
            for process_id, (expires, people) in list(self._records.items()):
                if expires < now:
                    del self._records[process_id]
                else:
                    merged.update(people)
        return merged


class RedisPresence:
    """One hash per process (`<prefix>:presence:<process>`) with a TTL, and a sorted set of live processes."""

    def __init__(self, prefix: str) -> None:
        self._procs = f"{prefix}:presence:procs"
        self._prefix = f"{prefix}:presence:proc:"

    def write(self, *, process_id: str, people: dict[int, str]) -> None:
        ttl = settings.PRESENCE_TTL_SECONDS
        key = self._prefix + process_id
        pipe = redis_client.sync().pipeline(transaction=True)
        pipe.delete(key)
        if people:
            pipe.hset(key, mapping={str(pid): code for pid, code in people.items()})
            pipe.expire(key, ttl)
        pipe.zadd(self._procs, {process_id: time.time() + ttl})
        pipe.execute()

    def change(self, *, process_id: str, added: dict[int, str], removed: set[int]) -> None:
        ttl = settings.PRESENCE_TTL_SECONDS
        key = self._prefix + process_id
        pipe = redis_client.sync().pipeline(transaction=True)
        if removed:
            pipe.hdel(key, *[str(pid) for pid in removed])
        if added:
            pipe.hset(key, mapping={str(pid): code for pid, code in added.items()})
        pipe.expire(key, ttl)
        pipe.zadd(self._procs, {process_id: time.time() + ttl})
        pipe.execute()

    def forget(self, *, process_id: str) -> None:
        pipe = redis_client.sync().pipeline(transaction=True)
        pipe.delete(self._prefix + process_id)
        pipe.zrem(self._procs, process_id)
        pipe.execute()

    def connected(self) -> dict[int, str]:
        client = redis_client.sync()
        client.zremrangebyscore(self._procs, "-inf", time.time())
        processes: list[bytes] = client.zrange(self._procs, 0, -1)  # type: ignore[assignment]
        pipe = client.pipeline(transaction=False)
        for process_id in processes:
            pipe.hgetall(self._prefix + process_id.decode())
        merged: dict[int, str] = {}
        for people in pipe.execute():
            merged.update({int(pid): code.decode() for pid, code in people.items()})
        return merged


@lru_cache(maxsize=4)
def _store_for(redis_url: str, prefix: str) -> PresenceStore:
    return RedisPresence(prefix) if redis_url else MemoryPresence()


def store() -> PresenceStore:
    return _store_for(settings.REDIS_URL, settings.REDIS_PREFIX)


def connected_person_ids() -> set[int]:
    """People with at least one phone socket open, on any server process."""
    return set(store().connected())


def counts_by_area(*, prefixes: tuple[str, ...] | None = None) -> dict[str, int]:
    """Connected people per home area code (township level), optionally only inside `prefixes`."""
    counts: dict[str, int] = {}
    for area_code in store().connected().values():
        if prefixes is None or area_code.startswith(prefixes):
            counts[area_code] = counts.get(area_code, 0) + 1
    return counts
