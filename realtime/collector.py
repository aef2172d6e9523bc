"""Keeping the garbage collector's pauses off the fan-out.

A server process with thousands of sockets holds a million or more objects
that live as long as their socket (consumers, protocol state, coroutines of
the ASGI stack). CPython's full collection walks all of them: measured at
5,000 sockets per process, each full collection stopped the event loop for
0.3-2.5 s, and one fell inside most fan-outs (docs/BENCHMARKS.md). They are
not garbage, so walking them is wasted.

`gc.freeze()` moves every object alive now into a permanent generation that
collections skip (it costs nothing: a list splice). The hub calls `tick`
once a second: when sockets have been added since the last freeze, it
freezes again, so collections only see what is younger than the sockets.

Frozen objects are still freed by reference counting when a socket goes;
only reference cycles among them would stay until unfrozen. So once enough
frozen sockets have left (a quarter, and at least `min_churn`), `tick`
unfreezes, collects once (the one long pause, right after many sockets left)
and freezes again.
"""

from __future__ import annotations

import gc
import logging
import time

logger = logging.getLogger("zhengqi.realtime")


class Collector:
    def __init__(self, *, enabled: bool = True, min_growth: int = 50, min_churn: int = 500) -> None:
        self.enabled = enabled
        self.min_growth = min_growth
        self.min_churn = min_churn
        self.joined = 0  # sockets that joined since the last freeze
        self.departed = 0  # sockets that left since the last full collection

    def join(self) -> None:
        self.joined += 1

    def leave(self) -> None:
        self.departed += 1

    def tick(self, *, sockets: int) -> str:
        """Freeze or collect as described above; returns what it did ("", "freeze" or "collect")."""
        if not self.enabled:
            return ""
        if self.departed >= max(self.min_churn, sockets // 4):
            started = time.perf_counter()
            gc.unfreeze()
            found = gc.collect()
            gc.freeze()
            logger.info(
                "full collection after %d sockets left: %d unreachable, %.0f ms",
                self.departed,
                found,
                (time.perf_counter() - started) * 1000,
            )
            self.joined = self.departed = 0
            return "collect"
        if self.joined >= self.min_growth:
            gc.freeze()
            self.joined = 0
            return "freeze"
        return ""
