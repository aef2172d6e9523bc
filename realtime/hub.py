"""The process-local registry of connected sockets, and the local fan-out.

One hub per event loop (in production: per server process). Each publish
reaches a hub once (through Redis pub/sub, or directly in the embedded
single-process mode) and the hub hands the frame to its own sockets: no
channel-layer group per person and no message per recipient.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils import timezone

from core.services.tokens import tokens_touch
from realtime import db, presence, protocol, services
from realtime.collector import Collector

logger = logging.getLogger("zhengqi.realtime")

# How many sockets may read the database at once after the live feed came back.
_RESYNC_CONCURRENCY = 8
_HEARTBEAT_EVERY = 1.0
# Acks are written in one statement per interval instead of one per frame.
_ACK_FLUSH_EVERY = 1.0


class Socket(Protocol):
    """What the hub needs from a consumer."""

    user_id: int
    person_id: int | None
    area_code: str
    outbox: Any  # realtime.outbox.Outbox
    dashboard: DashboardView | None

    def withdraw(self) -> None:
        """The login's access ended: tell the client and close (without waiting for it)."""
        ...


@dataclass
class DashboardView:
    """A dashboard's subscription: the area prefixes it covers and its coalesced ephemeral updates."""

    prefixes: tuple[str, ...]
    pending: dict[str, str] = field(default_factory=dict)
    last_presence: str = ""

    def covers(self, area_code: str) -> bool:
        return area_code.startswith(self.prefixes)


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.process_id = uuid.uuid4().hex
        self.phones: dict[int, set[Socket]] = {}
        self.dashboards: set[Socket] = set()
        self._acks: dict[int, int] = {}
        self._touched: set[int] = set()  # tokens whose use the next batch records
        self._tasks: list[asyncio.Task[None]] = []
        # Presence: phone sockets per person here, and what changed since the last write.
        self._present: dict[int, str] = {}  # person id -> home area, while they have a phone socket here
        self._phone_sockets: Counter[int] = Counter()
        self._added: dict[int, str] = {}
        self._removed: set[int] = set()
        self._joining = 0
        self.collector = Collector(enabled=settings.WS_GC_FREEZE)
        self.live = asyncio.Event()  # set while the live feed is subscribed
        self._presence_lock = asyncio.Lock()  # one presence write at a time, so that changes apply in order

    # --- sockets come and go --------------------------------------------------
    async def join(self, socket: Socket) -> None:
        """Register a socket once the live feed is subscribed (waiting at most 2 s).

        The registration is the last step, with no await after it: the caller
        queues its welcome right away, so no live frame can precede it, and
        every publish from then on reaches the socket (replay reads after this).
        """
        self._joining += 1
        try:
            if not self._tasks:
                self._start()
            if not self.live.is_set():  # the usual case needs no wait (and no wait_for task)
                with contextlib.suppress(TimeoutError):
                    # Without the live feed (Redis down) replay still runs; whatever
                    # is published meanwhile comes by `resync` once the feed is back.
                    await asyncio.wait_for(self.live.wait(), timeout=2)
        finally:
            self._joining -= 1
        pid = socket.person_id
        if pid is not None:
            self.phones.setdefault(pid, set()).add(socket)
            if socket.dashboard is None:  # presence counts phones; a coordinator's dashboard is not someone on call
                self._phone_sockets[pid] += 1
                if self._phone_sockets[pid] == 1:
                    self._present[pid] = self._added[pid] = socket.area_code
                    self._removed.discard(pid)
        if socket.dashboard is not None:
            self.dashboards.add(socket)
        self.collector.join()

    async def leave(self, socket: Socket) -> None:
        pid = socket.person_id
        sockets = self.phones.get(pid) if pid is not None else None
        if pid is not None and sockets is not None and socket in sockets:
            sockets.discard(socket)
            if not sockets:
                del self.phones[pid]
            if socket.dashboard is None:
                self._phone_sockets[pid] -= 1
                if not self._phone_sockets[pid]:
                    del self._phone_sockets[pid], self._present[pid]
                    self._added.pop(pid, None)
                    self._removed.add(pid)
            self.collector.leave()
        elif socket in self.dashboards:
            self.collector.leave()
        self.dashboards.discard(socket)
        if pid is not None and pid in self._acks:
            # Its last acks are written now rather than on the next interval.
            await self.flush_acks()
        if not self.phones and not self.dashboards and not self._joining:
            await self._stop()

    def ack(self, person_id: int, seq: int) -> None:
        if seq > self._acks.get(person_id, 0):
            self._acks[person_id] = seq

    def touch_token(self, token_id: int) -> None:
        self._touched.add(token_id)

    async def flush_touches(self) -> None:
        touched, self._touched = self._touched, set()
        if touched:
            try:
                await db.run(tokens_touch, token_ids=touched, at=timezone.now())
            except Exception:
                # Only `last_used_at` is late; the token's next hello tries again.
                logger.warning("recording the use of %d tokens failed", len(touched), exc_info=True)

    async def flush_acks(self) -> None:
        acks, self._acks = self._acks, {}
        if acks:
            try:
                await db.run(services.acks_record, acks=acks)
            except Exception:
                # Acks are advisory (they only allow pruning); the next one carries the same news.
                logger.warning("recording %d acks failed", len(acks), exc_info=True)

    # --- frames arrive from the live feed -------------------------------------
    def on_durable(self, body_json: str, seqs: dict[int, int]) -> None:
        phones = self.phones
        if len(seqs) > len(phones):
            pairs = [(pid, seqs[pid]) for pid in phones if pid in seqs]
        else:
            pairs = [(pid, seq) for pid, seq in seqs.items() if pid in phones]
        for person_id, seq in pairs:
            frame = protocol.durable(seq, body_json)
            for socket in phones[person_id]:
                socket.outbox.offer(seq, frame)

    def on_durable_each(self, items: dict[int, tuple[int, str]]) -> None:
        """Like `on_durable` for a publish whose people each have their own copy: person id -> (seq, event JSON)."""
        phones = self.phones
        for person_id in phones.keys() & items.keys():
            seq, body_json = items[person_id]
            frame = protocol.durable(seq, body_json)
            for socket in phones[person_id]:
                socket.outbox.offer(seq, frame)

    def on_announce(self, body_json: str, area_code: str, key: str) -> None:
        for socket in self.dashboards:
            view = socket.dashboard
            if view is not None and view.covers(area_code):
                # Latest wins within a tick: at most DASHBOARD_UPDATES_PER_SECOND flushes.
                view.pending.pop(key, None)
                view.pending[key] = body_json

    def on_withdraw(self, user_ids: set[int]) -> None:
        """Close every socket here of these logins (deactivated members): no frame reaches them after this."""
        sockets = {s for group in self.phones.values() for s in group} | self.dashboards
        for socket in sockets:
            if socket.user_id in user_ids:
                socket.withdraw()

    def resync(self) -> None:
        """The live feed was down: every socket fetches what it may have missed, a few at a time."""
        sockets = [s for group in self.phones.values() for s in group]
        if sockets:
            self._tasks.append(self.loop.create_task(self._resync(sockets)))

    async def _resync(self, sockets: list[Socket]) -> None:
        gate = asyncio.Semaphore(_RESYNC_CONCURRENCY)

        async def one(socket: Socket) -> None:
            async with gate:
                socket.outbox.resync()
                await asyncio.sleep(0.01)

        await asyncio.gather(*(one(s) for s in sockets))

    # --- background work, while any socket is connected -----------------------
    def _start(self) -> None:
        from realtime import transport  # the feed depends on the hub, not the other way round

        self._tasks = [
            self.loop.create_task(transport.listen(self)),
            self.loop.create_task(self._tick_dashboards()),
            self.loop.create_task(self._heartbeat()),
        ]

    async def _stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        self.live.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.phones or self.dashboards or self._joining:
            return  # a socket joined while we stopped; it started fresh tasks
        _forget(self)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(presence.store().forget, process_id=self.process_id)

    async def _tick_dashboards(self) -> None:
        interval = 1 / settings.DASHBOARD_UPDATES_PER_SECOND
        while True:
            await asyncio.sleep(interval)
            for socket in self.dashboards:
                view = socket.dashboard
                if view is not None and view.pending:
                    pending, view.pending = view.pending, {}
                    for body_json in pending.values():
                        socket.outbox.put(protocol.ephemeral(body_json))

    async def _heartbeat(self) -> None:
        store = presence.store()
        ttl = settings.PRESENCE_TTL_SECONDS
        since_write = float("inf")
        while True:
            since_write += _HEARTBEAT_EVERY
            try:
                await self._write_presence(store, full=since_write >= ttl / 3)
                if since_write >= ttl / 3:
                    since_write = 0
                if self.dashboards:
                    await self._send_presence(await asyncio.to_thread(store.connected))
            except Exception:
                # What was not written is written in full on a later beat.
                since_write = float("inf")
                logger.warning("presence heartbeat failed; retrying", exc_info=True)
            await self.flush_acks()
            await self.flush_touches()
            self.collector.tick(sockets=len(self.phones) + len(self.dashboards))
            await asyncio.sleep(_HEARTBEAT_EVERY)

    async def _write_presence(self, store: presence.PresenceStore, *, full: bool) -> None:
        """The whole snapshot now and then (it renews the expiry and heals a lost record); else only changes.

        During a connection ramp a full snapshot every second meant writing
        thousands of fields per second per process; a change is what joined or left.
        """
        async with self._presence_lock:
            added, removed = self._added, self._removed
            self._added, self._removed = {}, set()
            if full:  # also after a failed write: the snapshot covers the changes that were lost
                await asyncio.to_thread(store.write, process_id=self.process_id, people=dict(self._present))
            elif added or removed:
                await asyncio.to_thread(store.change, process_id=self.process_id, added=added, removed=removed)

    async def sync_presence(self) -> None:
        """Write this process's presence changes now (a dashboard's snapshot must include them)."""
        await self._write_presence(presence.store(), full=False)

    async def _send_presence(self, connected: dict[int, str]) -> None:
        by_area = Counter(connected.values())  # once; then each dashboard filters a few hundred areas
        for socket in self.dashboards:
            view = socket.dashboard
            if view is None:
                continue
            frame = protocol.presence({area: n for area, n in by_area.items() if view.covers(area)})
            if frame != view.last_presence:
                view.last_presence = frame
                socket.outbox.put(frame)


# One hub per event loop. Publishers in other threads reach them through `each_hub`.
_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}
_hubs_lock = threading.Lock()


def current() -> Hub:
    loop = asyncio.get_running_loop()
    with _hubs_lock:
        hub = _hubs.get(loop)
        if hub is None:
            hub = _hubs[loop] = Hub(loop)
        return hub


def _forget(hub: Hub) -> None:
    with _hubs_lock:
        if _hubs.get(hub.loop) is hub:
            del _hubs[hub.loop]


def each_hub(call: Callable[[Hub], None]) -> None:
    """Run `call(hub)` on every hub of this process, on the hub's own loop (embedded mode)."""
    with _hubs_lock:
        hubs = list(_hubs.values())
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    for hub in hubs:
        if hub.loop is running:
            call(hub)
        elif not hub.loop.is_closed():
            hub.loop.call_soon_threadsafe(call, hub)
