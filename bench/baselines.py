"""The two baselines bench/fanout.py measures Zhengqi's fan-out against.

- bare: a `websockets` server that broadcasts with `websockets.broadcast`
  whatever arrives on a Redis pub/sub channel (the physical limit of one
  cross-process message fanned out to local sockets, without Django).
  Run: python bench/baselines.py bare PORT CHANNEL REDIS_URL [acks]
  With `acks` it also reads and parses every frame its clients send (their
  acks) and keeps the highest seq per socket: the physical limit when phones
  ack every event.
- naive: `application` here, stock channels: every socket joins one big
  channels_redis group and the publisher calls `group_send` on it.
  Run: uvicorn bench.baselines:application (with REDIS_URL set)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

NAIVE_GROUP = "bench-all"


async def bare(port: int, channel: str, redis_url: str, read_acks: bool = False) -> None:
    import redis.asyncio
    import websockets
    from websockets.asyncio.server import ServerConnection, serve

    clients: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello"
        await ws.send('{"type":"welcome","seq":0}')
        clients.add(ws)
        acked = 0
        try:
            if read_acks:
                async for frame in ws:
                    acked = max(acked, json.loads(frame).get("seq", 0))
            else:
                await ws.wait_closed()
        finally:
            clients.discard(ws)

    client = redis.asyncio.Redis.from_url(redis_url, socket_timeout=None)
    pubsub = client.pubsub()
    await pubsub.subscribe(channel)
    async with serve(handler, "127.0.0.1", port, compression=None, ping_interval=20, max_queue=16, backlog=4096):
        print("ready", flush=True)
        async for message in pubsub.listen():
            if message["type"] == "message":
                websockets.broadcast(clients, message["data"].decode())


def _naive_application() -> Any:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    import django

    django.setup()
    from channels.generic.websocket import AsyncWebsocketConsumer
    from channels.routing import URLRouter
    from django.urls import path

    class Naive(AsyncWebsocketConsumer):
        async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
            if text_data and json.loads(text_data).get("type") == "hello":
                await self.channel_layer.group_add(NAIVE_GROUP, self.channel_name)
                await self.send(text_data='{"type":"welcome","seq":0}')

        async def bench_event(self, message: dict[str, Any]) -> None:
            await self.send(text_data=message["text"])

        async def disconnect(self, code: int) -> None:
            await self.channel_layer.group_discard(NAIVE_GROUP, self.channel_name)

    return URLRouter([path("ws/v1/phone", Naive.as_asgi())])


def __getattr__(name: str) -> Any:
    # Built lazily: `bare` must not set up Django.
    if name == "application":
        return _naive_application()
    raise AttributeError(name)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script by the benchmarks
    from bench.support import open_files_to_the_hard_limit

    open_files_to_the_hard_limit()
    import uvloop

    uvloop.run(bare(int(sys.argv[2]), sys.argv[3], sys.argv[4], read_acks=sys.argv[5:] == ["acks"]))
