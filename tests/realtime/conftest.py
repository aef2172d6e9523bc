"""Sockets for the real-time tests: real consumers in this process through channels' WebsocketCommunicator."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.utils import timezone

from core.crypto import token_digest
from core.models import ApiToken, Person
from core.services.tokens import TOKEN_PREFIX
from realtime import db as realtime_db
from realtime.events import Event, publish


class Note(Event):
    type: str = "test.note"
    n: int
    area_code: str = ""


def token_for(person: Person) -> str:
    """A live bearer token for the person, as `POST /api/v1/auth/token` would issue."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=person.user, digest=token_digest(raw), expires_at=timezone.now() + timedelta(hours=1))
    return raw


async def publish_notes(person_ids: list[int], numbers: range | list[int]) -> None:
    """Publish one durable Note per number to the people, each in its own transaction, as a service would."""

    def run() -> None:
        for n in numbers:
            publish(Note(n=n), to=person_ids)

    await database_sync_to_async(run)()


class Socket:
    """A client socket on the real ASGI application."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        from core.asgi import application

        self.comm = WebsocketCommunicator(application, path, headers=headers or [])

    async def open(self) -> bool:
        connected, _ = await self.comm.connect(timeout=3)
        return bool(connected)

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.comm.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))

    async def hello(self, token: str, since: int = 0) -> dict[str, Any]:
        await self.send({"type": "hello", "token": token, "since": since})
        return await self.receive()

    async def receive(self, timeout: float = 3) -> dict[str, Any]:
        output = await self.comm.receive_output(timeout)
        assert output["type"] == "websocket.send", output
        return json.loads(output["text"])

    async def receive_until(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        """The next frame of this type, skipping others (e.g. presence)."""
        async with asyncio.timeout(timeout):
            for _ in range(1000):
                frame = await self.receive(timeout)
                if frame["type"] == kind:
                    return frame
        raise AssertionError(f"no {kind} frame")

    async def events(self, count: int) -> list[dict[str, Any]]:
        return [await self.receive_until("event") for _ in range(count)]

    async def nothing(self, timeout: float = 0.3) -> bool:
        return bool(await self.comm.receive_nothing(timeout))

    async def closed_with(self, timeout: float = 3) -> int:
        """Read until the server closes; returns the close code."""
        async with asyncio.timeout(timeout):
            for _ in range(1000):
                output = await self.comm.receive_output(timeout)
                if output["type"] == "websocket.close":
                    return int(output.get("code", 1000))
        raise AssertionError("not closed")

    async def close(self) -> None:
        await self.comm.disconnect()


@pytest.fixture(autouse=True)
def _private_redis_prefix(settings: Any) -> None:
    # Redis pub/sub ignores the database number: keep this run's channels to itself.
    settings.REDIS_PREFIX = f"zqtest{os.getpid()}"


@pytest.fixture
async def sockets() -> AsyncIterator[Callable[..., Any]]:
    """sockets(path, origin=None) -> an open Socket; all are disconnected at the end."""
    opened: list[Socket] = []

    async def open_socket(path: str = "/ws/v1/phone", origin: str | None = None) -> Socket:
        socket = Socket(path, headers=[(b"origin", origin.encode())] if origin else None)
        opened.append(socket)
        assert await socket.open()
        return socket

    yield open_socket
    for socket in opened:
        await socket.close()
    # The consumers' database work ran in channels' worker thread: close its
    # connection, or PostgreSQL refuses to drop the test database at the end.
    await database_sync_to_async(connections.close_all)()
    await asyncio.to_thread(realtime_db.shutdown)
