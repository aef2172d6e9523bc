"""What one socket is sent: a bounded queue drained by one task, and its durable stream kept in order.

Live frames reach a socket by two paths that can race: replay from the
database and the live feed. The outbox makes the result look like one ordered
stream: it holds live frames while a replay runs, drops any seq it already
sent, and when a seq arrives ahead of its turn (two publishers' live messages
overtook each other, or the live feed lost one) it waits briefly and then
fills the gap from the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

logger = logging.getLogger("zhengqi.realtime")

# How long a seq that arrived early waits for the ones before it before the
# database is asked; live messages overtake each other by microseconds.
GAP_WAIT_SECONDS = 0.5

Send = Callable[[str], Coroutine[Any, Any, None]]
# catch_up(after) -> [(seq, frame)] for this socket's person, seq > after, in order.
CatchUp = Callable[[int], Awaitable[list[tuple[int, str]]]]


class Outbox:
    def __init__(self, *, send: Send, limit: int, on_overflow: Callable[[], None]) -> None:
        self._send = send
        self._limit = limit
        self._on_overflow = on_overflow
        self._queue: deque[str] = deque()
        # The sender task exists only while frames wait: an idle socket costs no task.
        self._task: asyncio.Task[None] | None = None
        self.started = False
        self.closed = False
        # Durable stream state; unused for sockets without a person.
        self.last_seq = 0
        self._replaying = True
        self._held: dict[int, str] = {}
        self._catch_up: CatchUp | None = None
        self._gap_task: asyncio.Task[None] | None = None

    def start(self, *, catch_up: CatchUp | None) -> None:
        self._catch_up = catch_up
        self.started = True
        if self._queue:
            self.put(self._queue.pop())

    def stop(self) -> None:
        self.closed = True
        for task in (self._task, self._gap_task):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self._queue.clear()
        self._held.clear()

    def put(self, frame: str) -> None:
        """Queue a frame; a reader that lets the queue overflow is disconnected (it replays later)."""
        if self.closed:
            return
        if len(self._queue) >= self._limit:
            self.closed = True
            self._on_overflow()
            return
        if self._task is None and self.started and not self._queue:
            self._send_now(frame)
            return
        self._queue.append(frame)
        if self._task is None and self.started:
            self._task = asyncio.get_running_loop().create_task(self._drain())

    def _send_now(self, frame: str) -> None:
        """Send at once, in the caller's step, when the server can take the frame without waiting.

        The ASGI send of an idle socket completes without suspending (the frame
        goes straight to the transport), so running it here instead of in a new
        task per socket makes a fan-out one loop over the sockets, like
        `websockets.broadcast`: no task, context or coroutine left for the
        event loop and the garbage collector per recipient. Only if the send
        does suspend (the transport is paused by a slow reader) does a task
        take over the rest of it, and the queue behind it.
        """
        send = self._send(frame)
        try:
            waiting = send.send(None)
        except StopIteration:
            return
        except Exception:
            # The socket is going (its disconnect arrives through the receive loop).
            logger.debug("a send failed; the socket is closing", exc_info=True)
            self.closed = True
            return
        self._task = asyncio.get_running_loop().create_task(self._drain(resume=(send, waiting)))

    async def flush(self, *, timeout: float) -> None:
        """Wait (bounded) until every queued frame was handed to the server."""
        async with asyncio.timeout(timeout):
            while (self._queue or self._task is not None) and not self.closed:
                await asyncio.sleep(0.005)

    # --- the durable stream ----------------------------------------------------
    def offer(self, seq: int, frame: str) -> None:
        """A durable frame from the live feed or a catch-up: sent once, in seq order."""
        if self.closed or seq <= self.last_seq:
            return
        if self._replaying or seq > self.last_seq + 1:
            if len(self._held) >= self._limit:
                self.closed = True
                self._on_overflow()
                return
            self._held[seq] = frame
            if not self._replaying:
                self._schedule_catch_up(GAP_WAIT_SECONDS)
            return
        self._emit(seq, frame)
        if self._held:  # the usual live frame finds nothing held (and a fan-out does this per socket)
            self._release_held()

    def replayed(self, *, up_to: int) -> None:
        """The replay has sent everything up to `up_to`; release held live frames after it."""
        self._replaying = False
        self.last_seq = max(self.last_seq, up_to)
        self._release_held()
        if self._held:
            self._schedule_catch_up(GAP_WAIT_SECONDS)

    def resync(self) -> None:
        """The live feed was interrupted: fetch whatever it may have missed now."""
        if not self._replaying:
            self._schedule_catch_up(0)

    def _emit(self, seq: int, frame: str) -> None:
        self.last_seq = seq
        self.put(frame)

    def _release_held(self) -> None:
        for seq in sorted(s for s in self._held if s <= self.last_seq + 1):
            frame = self._held.pop(seq)
            if seq == self.last_seq + 1:
                self._emit(seq, frame)

    def _schedule_catch_up(self, delay: float) -> None:
        if self._catch_up is not None and (self._gap_task is None or self._gap_task.done()):
            self._gap_task = asyncio.create_task(self._fill_gap(delay))

    async def _fill_gap(self, delay: float) -> None:
        await asyncio.sleep(delay)
        if self.closed or self._catch_up is None or (delay and not self._held):
            return
        try:
            frames = await self._catch_up(self.last_seq)
        except Exception:
            logger.warning("catch-up from the database failed; the socket will replay on reconnect", exc_info=True)
            return
        for seq, frame in frames:
            self._held.pop(seq, None)
            if seq > self.last_seq:
                self._emit(seq, frame)
        self._release_held()
        if self._held:
            # The missing seqs are gone from the database (acknowledged and
            # pruned): the client has them already, so skip forward.
            self.last_seq = min(self._held) - 1
            self._release_held()

    async def _drain(self, resume: tuple[Coroutine[Any, Any, None], Any] | None = None) -> None:
        # One task per busy socket, so that a slow reader blocks only itself.
        try:
            if resume is not None:
                await _finish(*resume)
            while self._queue and not self.closed:
                await self._send(self._queue.popleft())
        finally:
            self._task = None


async def _finish(send: Coroutine[Any, Any, None], waiting: Any) -> None:
    """Run a coroutine that `_send_now` started and that suspended on `waiting` to its end.

    What a task does for its coroutine: wait for the future it yielded, then
    resume it (it reads the future's result or exception itself).
    """
    for _step in range(1_000_000):  # bounded: each step waits for one future of the send
        try:
            if waiting is None:
                await asyncio.sleep(0)  # a bare yield: give the loop one turn
            else:
                # The future is marked as yielded by the inner await; a task clears
                # the mark when it takes the future over, and so must we.
                waiting._asyncio_future_blocking = False
                await waiting
        except asyncio.CancelledError:
            send.close()
            raise
        except Exception:  # noqa: S110 (the resumed coroutine raises it from its own await)
            pass
        try:
            waiting = send.send(None)
        except StopIteration:
            return
    send.close()
