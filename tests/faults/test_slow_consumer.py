"""A phone that never reads: the server's memory stays bounded and the socket is dropped per the protocol.

A raw client (a tiny receive buffer, and it stops reading after the welcome)
sits on a real server process while 2,000 events of 16 KiB each (32 MiB) are
published to it and to a normal phone on the same server. The server may hold
at most ZHENGQI_WS_SEND_QUEUE (256) frames for the slow socket, then closes it
with 4409; the normal phone gets everything live meanwhile; the slow phone,
once it reads again, finds a prefix of its stream and the 4409, and reconnecting
with `since` replays the rest.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import time
import uuid

import pytest

from tests.faults.harness import Phone, Server, base_env, manage, running, seed, until

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(300)]

EVENTS = 2000
PAYLOAD = 16 * 1024

PUBLISH = """
from django.db import transaction
from realtime.events import Event, publish
class Bulky(Event):
    type: str = "test.bulky"
    n: int
    pad: str
pad = "x" * {payload}
with transaction.atomic():
    for n in range(1, {events} + 1):
        publish(Bulky(n=n, pad=pad), to={people})
"""


class RawSocket:
    """A WebSocket client on a bare socket, so that "not reading" really leaves the bytes in the kernel."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", port))
        self.sock.settimeout(10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /ws/v1/phone HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(4096)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def send_text(self, text: str) -> None:
        data, mask = text.encode(), os.urandom(4)
        header = bytes([0x81]) + (
            bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0xFE]) + struct.pack("!H", len(data))
        )
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def frame(self) -> tuple[int, bytes]:
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(8))[0]
        return first & 0x0F, self._read(length)

    def drain(self, timeout: float) -> tuple[list[str], int | None]:
        """Read text frames until the server closes (or the time is up); the texts and the close code."""
        texts: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                opcode, payload = self.frame()
            except (EOFError, OSError):
                return texts, None
            if opcode == 0x1:
                texts.append(payload.decode())
            elif opcode == 0x8:
                return texts, struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
        return texts, -1


def test_a_phone_that_never_reads_is_dropped_with_4409_and_the_server_memory_stays_bounded(redis_url, tmp_path):
    env = base_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL=redis_url,
        ZHENGQI_REDIS_PREFIX=f"zqfault{uuid.uuid4().hex[:8]}",
    )
    seeded = seed(env, {"phones": {"count": 2, "homes": ["410611001"]}})
    slow, normal = seeded["phones"]
    server = Server(env, tmp_path)
    with running(server):
        server.start()
        # given a phone that says hello and then never reads again, and a normal phone
        raw = RawSocket(server.port)
        raw.send_text(json.dumps({"type": "hello", "token": slow["token"], "since": 0}))
        opcode, payload = raw.frame()
        assert (opcode, json.loads(payload)) == (0x1, {"type": "welcome", "seq": 0})

        async def scenario() -> tuple[Phone, int, int]:
            phone = Phone("normal", normal["token"], [server.ws]).start()
            try:
                await until(phone.connected.is_set, timeout=10, what="the normal phone")
                await asyncio.sleep(1)
                before = server.rss_kib()
                # when 32 MiB of events are published to both
                code = PUBLISH.format(payload=PAYLOAD, events=EVENTS, people=[slow["person"], normal["person"]])
                await asyncio.to_thread(manage, env, "shell", "-c", code)
                # the normal phone is not held up by the slow one
                await until(lambda: len(phone.events) == EVENTS, timeout=120, what="the normal phone's events")
                await asyncio.sleep(2)
                return phone, before, server.rss_kib()
            finally:
                await phone.stop()

        phone, before, after = asyncio.run(scenario())
        assert [e["seq"] for e in phone.events] == list(range(1, EVENTS + 1))
        # then the server did not buffer the slow phone's 32 MiB: at most its send queue (256 x 16 KiB = 4 MiB)
        growth_mib = (after - before) / 1024
        assert growth_mib < EVENTS * PAYLOAD / 2**20 / 2, f"RSS grew by {growth_mib:.1f} MiB"

        # and when the slow phone reads again, it finds a prefix of its stream and then the 4409 close
        texts, code = raw.drain(timeout=60)
        assert code == 4409, (code, len(texts))
        seqs = [json.loads(t)["seq"] for t in texts]
        assert seqs == list(range(1, len(seqs) + 1))
        assert len(seqs) < EVENTS

        # and reconnecting with `since` replays exactly the rest
        async def reconnect() -> Phone:
            again = Phone("slow", slow["token"], [server.ws])
            again.last_seq = seqs[-1] if seqs else 0
            again.start()
            try:
                await until(lambda: again.last_seq == EVENTS, timeout=60, what="the replay")
                return again
            finally:
                await again.stop()

        again = asyncio.run(reconnect())
        assert [e["seq"] for e in again.events] == list(range(len(seqs) + 1, EVENTS + 1))
        assert all(e["replayed"] for e in again.events)
