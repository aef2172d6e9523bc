"""Redis going away and coming back: the server carries on, live delivery resumes, replay covers the gap.

The outage is real at the TCP level: the server reaches Redis through a small
proxy that the test cuts and restores (the shared Redis itself stays up).
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.realtime.conftest import publish_notes, token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


class CuttableProxy:
    """A TCP proxy to Redis on a fixed loopback port that can drop every connection and refuse new ones."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.close()
        self.writers.clear()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                for _ in range(10_000_000):
                    data = await src.read(65536)
                    if not data:
                        break
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture
def volunteer(make_person):
    person = make_person("volunteer")
    return person, token_for(person)


async def test_live_delivery_resumes_after_redis_comes_back_and_the_gap_is_replayed(
    settings, redis_url, volunteer, sockets
):
    person, token = volunteer
    real = urlsplit(redis_url)
    proxy = CuttableProxy(real.hostname or "127.0.0.1", real.port or 6379)
    await proxy.start()
    settings.REDIS_URL = urlunsplit(real._replace(netloc=f"127.0.0.1:{proxy.port}"))
    try:
        phone = await sockets()
        await phone.hello(token)
        await publish_notes([person.pk], [1])
        assert (await phone.receive())["seq"] == 1

        await proxy.cut()
        await publish_notes([person.pk], [2])  # stored; its live publish fails
        await phone.send({"type": "ping"})
        assert await phone.receive() == {"type": "pong"}  # the server carries on
        await asyncio.sleep(0.5)
        await proxy.start()

        assert (await phone.receive_until("event", timeout=10))["seq"] == 2  # the gap, by catch-up
        await publish_notes([person.pk], [3])
        assert (await phone.receive_until("event", timeout=5))["seq"] == 3  # live again
        assert await phone.nothing()
    finally:
        await proxy.cut()
