"""Benchmark client: many WebSocket "phones" in one asyncio process (see bench/fanout.py).

Driven over stdin/stdout, one JSON object per line:
  -> {"cmd": "connect", "urls": [...], "tokens": [...], "ack_delay": seconds or null (no acks)}
  <- {"connected": n, "failed": n, "seconds": s}
  -> {"cmd": "report"}   <- {"events": {key: [count, last_recv_time]}, "lost": n, "dup": n, "closed": n, "open": n}
     (key: the event's `n`, or "type#alert_id" for events without one)
  -> {"cmd": "quit"}
Each socket checks its own durable stream: seq must rise by one from the welcome's seq.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import uvloop
import websockets
from websockets.asyncio.client import ClientConnection

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script by the benchmarks
from bench.pipe import commands, reply

_CONNECT_CONCURRENCY = 100


class Stats:
    def __init__(self) -> None:
        self.events: dict[int | str, list[float]] = {}  # n or "type#alert_id" -> [count, last receive time]
        self.dup = 0
        self.gaps = 0
        self.closed = 0
        self.open = 0
        self.pending: set[asyncio.Task[None]] = set()  # ack sends in flight (kept referenced)

    def reset(self) -> None:
        self.events.clear()
        self.dup = self.gaps = 0


class Phone:
    def __init__(self, stats: Stats, ack_delay: float | None) -> None:
        self.stats = stats
        self.ack_delay = ack_delay
        self.ack_pending = False
        self.next_seq = 0
        self.last_n = -1
        self.ws: ClientConnection | None = None

    async def connect(self, url: str, token: str) -> bool:
        try:
            self.ws = await websockets.connect(
                url, compression=None, ping_interval=None, max_queue=64, open_timeout=60, close_timeout=1
            )
            await self.ws.send(json.dumps({"type": "hello", "token": token, "since": 0}))
            for _ in range(5):
                frame = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
                if frame["type"] == "welcome":
                    self.next_seq = frame.get("seq", 0) + 1
                    return True
        except Exception as exc:  # counted as a failed connection
            print(f"connect failed: {exc!r}", file=sys.stderr)
        return False

    def _ack_later(self) -> None:
        self.ack_pending = False
        if self.ws is not None:
            self.stats.pending.add(asyncio.create_task(self.ws.send(f'{{"type":"ack","seq":{self.next_seq - 1}}}')))

    async def run(self) -> None:
        assert self.ws is not None
        stats = self.stats
        self.stats.open += 1
        try:
            async for raw in self.ws:
                now = time.time()
                frame = json.loads(raw)
                if frame.get("type") != "event":
                    continue
                seq = frame.get("seq")
                if seq is None:  # baselines carry no seq: events are numbered 1, 2, ... instead
                    n = frame["event"]["n"]
                    if n <= self.last_n:
                        stats.dup += 1
                        continue
                    self.last_n = n
                else:
                    if seq < self.next_seq:
                        stats.dup += 1
                        continue
                    if seq > self.next_seq:
                        stats.gaps += seq - self.next_seq
                    self.next_seq = seq + 1
                event = frame["event"]
                # Benchmark events are numbered; others (bench/alert_e2e.py) are keyed by type and alert.
                key = event["n"] if "n" in event else f"{event['type']}#{event.get('alert_id')}"
                entry = stats.events.setdefault(key, [0, 0.0])
                entry[0] += 1
                entry[1] = max(entry[1], now)
                if self.ack_delay is not None and seq is not None:
                    if self.ack_delay == 0:
                        await self.ws.send(f'{{"type":"ack","seq":{seq}}}')
                    elif not self.ack_pending:
                        # Coalesced, as docs/PROTOCOL.md advises: one ack for all that arrived within the delay.
                        self.ack_pending = True
                        asyncio.get_running_loop().call_later(self.ack_delay, self._ack_later)
        except websockets.ConnectionClosed:
            pass
        finally:
            stats.open -= 1
            stats.closed += 1


async def main() -> None:
    stats = Stats()
    phones: list[Phone] = []
    tasks: list[asyncio.Task[None]] = []
    async for cmd in commands(limit=1000):
        if cmd["cmd"] == "connect":
            gate = asyncio.Semaphore(_CONNECT_CONCURRENCY)
            started = time.monotonic()
            ack_delay = cmd.get("ack_delay")

            async def one(
                url: str, token: str, gate: asyncio.Semaphore = gate, ack_delay: float | None = ack_delay
            ) -> bool:
                phone = Phone(stats, ack_delay)
                async with gate:
                    ok = await phone.connect(url, token)
                if ok:
                    phones.append(phone)
                    tasks.append(asyncio.create_task(phone.run()))
                return ok

            urls, tokens = cmd["urls"], cmd["tokens"]
            results = await asyncio.gather(*(one(urls[i % len(urls)], t) for i, t in enumerate(tokens)))
            ok = sum(results)
            reply({"connected": ok, "failed": len(results) - ok, "seconds": time.monotonic() - started})
        elif cmd["cmd"] == "report":
            counts = {"dup": stats.dup, "lost": stats.gaps, "closed": stats.closed, "open": stats.open}
            reply({"events": stats.events, **counts})
            stats.reset()
        elif cmd["cmd"] == "quit":
            break
    for phone in phones:
        if phone.ws is not None:
            await phone.ws.close()
    for task in tasks:
        task.cancel()


if __name__ == "__main__":
    uvloop.run(main())
