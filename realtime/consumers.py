"""The phone and dashboard sockets (docs/PROTOCOL.md): hello, welcome, replay, live, ack, ping.

Thin on purpose: frames are parsed by `protocol`, identities and writes come
from `services`, and live frames arrive through the process's `hub`. The
channel layer is not used (see realtime/transport.py for why).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.http.request import split_domain_port, validate_host

from core.errors import Forbidden, Unauthorized, ZhengqiError
from core.services.duty import location_report
from realtime import db, protocol, services, streams
from realtime import hub as hubs
from realtime import snapshot as snapshots
from realtime.outbox import Outbox
from realtime.protocol import CloseCode, ErrorCode, FrameError

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger("zhengqi.realtime")

# A slow consumer's close frame waits behind the bytes it has not read yet: as long as the
# server's keepalive (ping every 20 s, 20 s to answer) would keep the connection anyway.
_SLOW_CLOSE_TIMEOUT = 45.0
# Smaller than the send queue, so that one batch never overflows it.
_REPLAY_BATCH = 100
_REPLAY_MAX_BATCHES = 10_000
_background_tasks: set[asyncio.Task[None]] = set()
# Sockets past the hello per user id, on this process (WS_MAX_SOCKETS_PER_USER). Checked and
# incremented with no await in between, so the event loop makes it exact without a lock.
_sockets_per_user: collections.Counter[int] = collections.Counter()
# The standard close code for "the server hit an unexpected condition" (RFC 6455 §7.4.1): a bug,
# not part of the protocol's vocabulary (protocol.CloseCode); clients reconnect with backoff.
_INTERNAL_ERROR = 1011


def _origin_allowed(scope: dict[str, Any]) -> bool:
    """Browsers send Origin and must come from one of our hosts; other clients (the phone app) send none."""
    for name, value in scope.get("headers", []):
        if name == b"origin":
            origin = value.decode("latin1")
            host = origin.split("://", 1)[-1].split("/", 1)[0]
            domain, _port = split_domain_port(host)
            return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)
    return True


class _Socket(AsyncWebsocketConsumer):
    is_dashboard = False
    accepts_location = False

    user_id = 0
    _user: User | None = None
    person_id: int | None = None
    area_code = ""
    dashboard: hubs.DashboardView | None = None
    _counted = False  # this socket holds one of its user's WS_MAX_SOCKETS_PER_USER places

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        if not _origin_allowed(self.scope):
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        self.outbox = Outbox(send=self._send_text, limit=settings.WS_SEND_QUEUE, on_overflow=self._overflowed)
        self.hub: hubs.Hub | None = None
        self.ready = False
        self._closing = False
        self._tokens = float(2 * settings.WS_MAX_FRAMES_PER_SECOND)
        self._tokens_at = time.monotonic()
        await self.accept()
        # A timer handle, not a task: a task per socket would outlive the
        # hello as a cancelled task holding its exception and frames.
        self._hello_timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(
            settings.WS_HELLO_TIMEOUT, self._expire_hello
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # Channels' loop (`await_many_dispatch`) races the socket against a
        # channel-layer channel with a fresh task per frame; these sockets have
        # no channel, so they read the socket directly: one task less per socket.
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:  # until the client disconnects (websocket_disconnect raises StopConsumer)
                await self.dispatch(await receive())
        except StopConsumer:
            pass
        except Exception:
            # A bug in handling one frame must not take down the process's other sockets, nor
            # leave this one counted against its user and registered in the hub forever
            # (websocket_disconnect never runs once this loop has ended).
            logger.exception("a socket failed (person %s); closing it", self.person_id)
            self._closing = True
            await self._close_quietly(_INTERNAL_ERROR)
        finally:
            await self._release()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' own dispatch closes old database connections before every
        # frame (a thread hop per ping); the services called below do that themselves.
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is not None:
            await handler(message)

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        if self._closing:
            return
        if not self._take_token():
            await self._refuse(ErrorCode.FLOOD, CloseCode.FLOOD)
            return
        text = message.get("text")
        if text is None:
            await self._refuse(ErrorCode.INVALID_FRAME, CloseCode.PROTOCOL_ERROR)
            return
        if len(text) > protocol.MAX_FRAME_BYTES // 4 and len(text.encode()) > protocol.MAX_FRAME_BYTES:
            await self._refuse(ErrorCode.FRAME_TOO_BIG, CloseCode.FRAME_TOO_BIG)
            return
        try:
            frame = protocol.parse(text)
        except FrameError as exc:
            if exc.code is ErrorCode.UNAUTHORIZED and not self.ready:
                await self._refuse(exc.code, CloseCode.UNAUTHORIZED)
            else:
                await self._direct(protocol.error(exc.code))
            return
        if isinstance(frame, protocol.Hello):
            await self._hello(frame)
        elif not self.ready:
            await self._direct(protocol.error(ErrorCode.NOT_READY))
        elif isinstance(frame, protocol.Ack):
            self._ack(frame.seq)
        elif isinstance(frame, protocol.Ping):
            self.outbox.put(protocol.PONG)
        elif isinstance(frame, protocol.Location):
            await self._location(frame)

    async def _hello(self, hello: protocol.Hello) -> None:
        if self.ready or self.hub is not None:
            await self._direct(protocol.error(ErrorCode.ALREADY_READY))
            return
        try:
            who = await db.run(services.socket_identity, token=hello.token, dashboard=self.is_dashboard)
        except Unauthorized:
            await self._refuse(ErrorCode.UNAUTHORIZED, CloseCode.UNAUTHORIZED)
            return
        except Forbidden:
            await self._refuse(ErrorCode.FORBIDDEN, CloseCode.FORBIDDEN)
            return
        except DatabaseError:
            logger.warning("hello failed: the database is unavailable", exc_info=True)
            await self._refuse(ErrorCode.UNAVAILABLE, CloseCode.GOING_AWAY)
            return
        if self._closing:
            return
        self._cancel_hello_timer()
        if _sockets_per_user[who.user_id] >= settings.WS_MAX_SOCKETS_PER_USER:
            await self._refuse(ErrorCode.TOO_MANY_SOCKETS, CloseCode.FLOOD)
            return
        _sockets_per_user[who.user_id] += 1
        self._counted = True
        self.user_id, self.person_id, self.area_code = who.user_id, who.person_id, who.area_code
        self.hub = hubs.current()
        snapshot = await self._snapshot(who.prefixes) if self.is_dashboard else None
        if self._closing:
            return
        if self.is_dashboard:
            self.dashboard = hubs.DashboardView(prefixes=who.prefixes)
        self.outbox.start(catch_up=self._catch_up if who.person_id is not None else None)
        # Subscribe before reading the stream: whatever commits after the read
        # arrives live (held until the replay is done), so nothing falls between.
        await self.hub.join(self)
        if who.token_to_touch is not None:
            self.hub.touch_token(who.token_to_touch)
        self.outbox.put(protocol.welcome(who.latest_seq))
        if snapshot is not None:
            self.outbox.put(snapshot)
        self.ready = True
        # A `since` beyond the stream means the client saw a stream that was reset: replay it all.
        await self._replay(since=hello.since if hello.since <= who.latest_seq else 0, latest=who.latest_seq)

    async def _replay(self, *, since: int, latest: int) -> None:
        if self.person_id is None or since >= latest:
            # Nothing stored is newer (the usual reconnect): no query. Anything
            # committed since the hello's read arrives live, or by gap catch-up.
            self.outbox.replayed(up_to=since)
            return
        last = since
        for _batch in range(_REPLAY_MAX_BATCHES):
            frames = await self._catch_up(last)
            for seq, frame in frames:
                self.outbox.put(frame)
                last = seq
            if len(frames) < _REPLAY_BATCH or self.outbox.closed:
                break
            try:
                # A long replay goes out at the reader's pace, not into memory.
                await self.outbox.flush(timeout=30)
            except TimeoutError:
                self._overflowed()
                return
        self.outbox.replayed(up_to=last)

    async def _snapshot(self, prefixes: tuple[str, ...]) -> str | None:
        """The dashboard's `snapshot` frame (None if it cannot be read now: the dashboard still works)."""
        assert self.hub is not None
        try:
            # Phones that joined this process within the last second are not in the store yet.
            await self.hub.sync_presence()
            return protocol.snapshot(await db.run(snapshots.dashboard_snapshot, prefixes=prefixes))
        except Exception:
            logger.warning("no snapshot for a dashboard: reading it failed", exc_info=True)
            return None

    async def _location(self, frame: protocol.Location) -> None:
        """The phone's position: the same service as PUT /api/v1/me/location, its refusals as `error` frames.

        Awaited in the receive loop, so a socket has at most one fix in flight
        (its later frames wait); the frame rate limit applies as to any frame.
        """
        if not self.accepts_location:
            self.outbox.put(protocol.error(ErrorCode.UNKNOWN_TYPE))
            return
        try:
            if self._user is None:
                self._user = await db.run(services.socket_user, user_id=self.user_id)
            await db.run(
                location_report,
                actor=self._user,
                lat=frame.lat,
                lon=frame.lon,
                datum=frame.datum,
                accuracy_m=frame.accuracy_m,
                at=frame.at,
            )
        except ZhengqiError as exc:
            self.outbox.put(
                protocol.refused(frame="location", code=exc.code, message=str(exc.message), details=exc.details)
            )
        except Exception:
            logger.warning("a location frame could not be stored", exc_info=True)
            self.outbox.put(protocol.error(ErrorCode.UNAVAILABLE))

    async def _catch_up(self, after: int) -> list[tuple[int, str]]:
        assert self.person_id is not None
        return await db.run(streams.frames_after, person_id=self.person_id, since=after, limit=_REPLAY_BATCH)

    def _ack(self, seq: int) -> None:
        if self.person_id is None or seq > self.outbox.last_seq:
            self.outbox.put(protocol.error(ErrorCode.BAD_SEQ))
        elif self.hub is not None:
            self.hub.ack(self.person_id, seq)

    def _take_token(self) -> bool:
        """Token bucket: WS_MAX_FRAMES_PER_SECOND sustained, twice that in a burst."""
        rate = settings.WS_MAX_FRAMES_PER_SECOND
        now = time.monotonic()
        self._tokens = min(2.0 * rate, self._tokens + (now - self._tokens_at) * rate)
        self._tokens_at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def _expire_hello(self) -> None:
        self._hello_timer = None
        if not self.ready and not self._closing:
            self._background(self._refuse(ErrorCode.HELLO_TIMEOUT, CloseCode.HELLO_TIMEOUT))

    def _cancel_hello_timer(self) -> None:
        timer, self._hello_timer = getattr(self, "_hello_timer", None), None
        if timer is not None:
            timer.cancel()

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        _background_tasks.add(task)  # referenced until done (the loop keeps only weak references)
        task.add_done_callback(_background_tasks.discard)

    def withdraw(self) -> None:
        # Called from the hub's loop over its sockets: nothing more is queued from here on, and the
        # error frame and the close run on their own.
        if self._closing:
            return
        logger.info("closing a socket of user %s: their access was withdrawn", self.user_id)
        self._closing = True
        self.outbox.stop()
        self._background(self._error_and_close(ErrorCode.UNAUTHORIZED, CloseCode.UNAUTHORIZED))

    def _overflowed(self) -> None:
        # Called from the fan-out: it must not wait for this socket.
        logger.info("closing a slow socket (person %s): its send queue overflowed", self.person_id)
        self._closing = True
        self.outbox.stop()
        self._background(self._close_quietly(CloseCode.SLOW_CONSUMER, _SLOW_CLOSE_TIMEOUT))

    async def _refuse(self, code: ErrorCode, close: CloseCode) -> None:
        """An error frame, then the close code; the socket takes no more frames."""
        if self._closing:
            return
        self._closing = True
        self.outbox.stop()
        await self._error_and_close(code, close)

    async def _error_and_close(self, code: ErrorCode, close: CloseCode) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1):
                await self.send(text_data=protocol.error(code))
        await self._close_quietly(close)

    async def _close_quietly(self, code: int, timeout: float = 1) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(timeout):
                await self.close(code=code)

    async def _direct(self, frame: str) -> None:
        # Before the welcome nothing is queued, so errors go straight out.
        if not self.outbox.started:
            await self.send(text_data=frame)
        else:
            self.outbox.put(frame)

    def _send_text(self, frame: str) -> Coroutine[Any, Any, None]:
        # The ASGI send's own coroutine, not one wrapping it: one object less per frame of a fan-out.
        send: Coroutine[Any, Any, None] = self.base_send({"type": "websocket.send", "text": frame})
        return send

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        await self._release()
        raise StopConsumer()

    async def _release(self) -> None:
        """Give back the user's socket place and leave the hub; safe to call more than once."""
        self._closing = True
        self._cancel_hello_timer()
        outbox = getattr(self, "outbox", None)
        if outbox is not None:
            outbox.stop()
        if self._counted:
            self._counted = False
            _sockets_per_user[self.user_id] -= 1
            if _sockets_per_user[self.user_id] <= 0:
                del _sockets_per_user[self.user_id]
        hub, self.hub = getattr(self, "hub", None), None
        if hub is not None:
            await hub.leave(self)


class PhoneConsumer(_Socket):
    """`/ws/v1/phone`: a person's durable stream; it reports the phone's position while on duty."""

    accepts_location = True


class DashboardConsumer(_Socket):
    """`/ws/v1/dashboard`: ephemeral updates and presence for the jurisdiction, plus the user's own stream if any."""

    is_dashboard = True
