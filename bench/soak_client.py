"""Soak client: thousands of phones in one asyncio process (driven by bench/soak.py over stdin/stdout).

One JSON object per line:
  -> {"cmd": "connect", "urls": [...], "phones": [{"token", "on_duty"}], "move_every": s, "around": [lat, lon]}
  <- {"connected": n, "failed": n, "seconds": s}
  -> {"cmd": "report"}
  <- {"alerts": {id: [count, last_time]}, "dup": n, "gaps": n, "closes": n, "reconnects": n, "open": n,
      "moves": {"ok": n, "failed": n, "ms": [sampled latencies]}}
  -> {"cmd": "quit"}

Each phone behaves as docs/PROTOCOL.md asks: hello with its last processed seq,
a coalesced ack a second after a burst, and on a close a jittered reconnect with
`since`. It checks its own stream (seq rises by one, no repeats) and counts each
alert it is told about once. On-duty phones also report a location over HTTP
(keep-alive connections, like the app) every `move_every` seconds.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvloop
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script by the benchmarks
from bench.pipe import commands, reply

_CONNECT_CONCURRENCY = 100
_HTTP_CONNECTIONS_PER_SERVER = 8


class Stats:
    def __init__(self) -> None:
        self.alerts: dict[int, list[float]] = {}  # alert id -> [count, last receive time]
        self.dup = 0
        self.gaps = 0
        self.closes = 0
        self.reconnects = 0
        self.open = 0
        self.moves_ok = 0
        self.moves_failed = 0
        self.move_ms: list[float] = []
        self.move_failures: dict[str, int] = {}  # status (0: no answer) -> count


class Http:
    """A few keep-alive HTTP/1.1 connections to one server (enough for PUT /me/location)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = asyncio.Queue()
        for _ in range(_HTTP_CONNECTIONS_PER_SERVER):
            self.idle.put_nowait(None)

    async def request(self, method: str, path: str, token: str, body: dict[str, Any]) -> int:
        conn = await self.idle.get()
        try:
            for attempt in range(2):  # a kept-alive connection the server has closed meanwhile: once more, fresh
                reused = conn is not None
                if conn is None:
                    conn = await asyncio.open_connection(self.host, self.port)
                try:
                    status, close = await self._exchange(conn, method, path, token, body)
                except (ConnectionError, EOFError, asyncio.IncompleteReadError):
                    conn[1].close()
                    conn = None
                    if reused and attempt == 0:
                        continue
                    raise
                if close:
                    conn[1].close()
                    conn = None
                return status
            raise AssertionError("unreachable")
        except Exception:
            if conn is not None:
                conn[1].close()
            conn = None
            raise
        finally:
            self.idle.put_nowait(conn)

    async def _exchange(
        self,
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        method: str,
        path: str,
        token: str,
        body: dict[str, Any],
    ) -> tuple[int, bool]:
        reader, writer = conn
        data = json.dumps(body).encode()
        writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise EOFError("the server closed the connection")
        status = int(status_line.split()[1])
        length, close = 0, False
        for _ in range(100):
            line = (await reader.readline()).strip().lower()
            if not line:
                break
            if line.startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            elif line == b"connection: close":
                close = True
        await reader.readexactly(length)
        return status, close


class Phone:
    def __init__(self, stats: Stats, url: str, token: str) -> None:
        self.stats = stats
        self.url = url
        self.token = token
        self.last_seq = 0
        self.seen: set[int] = set()
        self.ack_pending = False
        self.ws: Any = None
        self.welcomed = asyncio.Event()
        self.stopping = False

    async def run(self) -> None:
        attempt = 0
        for connection in range(1000):  # reconnects; bounded
            if self.stopping:
                return
            if connection:
                self.stats.reconnects += 1
            try:
                async with websockets.connect(
                    self.url, compression=None, ping_interval=None, max_queue=64, open_timeout=120, close_timeout=1
                ) as ws:
                    self.ws = ws
                    await ws.send(json.dumps({"type": "hello", "token": self.token, "since": self.last_seq}))
                    self.stats.open += 1
                    try:
                        async for raw in ws:
                            self._take(json.loads(raw))
                            attempt = 0
                    finally:
                        self.stats.open -= 1
                        self.welcomed.clear()
            except Exception as exc:
                print(f"phone socket: {exc!r}", file=sys.stderr)
            if self.stopping:
                return
            self.stats.closes += 1
            delay = min(30.0, 0.5 * 2**attempt)
            attempt += 1
            await asyncio.sleep(random.uniform(0, delay))

    def _take(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "welcome":
            self.welcomed.set()
            return
        if kind != "event" or "seq" not in frame:
            return
        seq = frame["seq"]
        if seq <= self.last_seq:
            self.stats.dup += 1
            return
        if seq != self.last_seq + 1:
            self.stats.gaps += seq - self.last_seq - 1
        self.last_seq = seq
        event = frame["event"]
        if event.get("type") == "alert.created":
            alert_id = event["alert_id"]
            if alert_id in self.seen:
                self.stats.dup += 1
            else:
                self.seen.add(alert_id)
                entry = self.stats.alerts.setdefault(alert_id, [0, 0.0])
                entry[0] += 1
                entry[1] = max(entry[1], time.time())
        if not self.ack_pending:
            self.ack_pending = True
            asyncio.get_running_loop().call_later(1.0, self._ack)

    def _ack(self) -> None:
        self.ack_pending = False
        if self.ws is not None:
            task = asyncio.get_running_loop().create_task(self._send(f'{{"type":"ack","seq":{self.last_seq}}}'))
            task.add_done_callback(lambda t: t.exception())

    async def _send(self, text: str) -> None:
        if self.ws is not None:
            await self.ws.send(text)

    async def move(self, http: Http, every: float, around: tuple[float, float], until: float) -> None:
        """PUT /me/location every `every` seconds (first at a random moment), a few hundred metres around."""
        await asyncio.sleep(random.uniform(0, every))
        for _ in range(100_000):  # bounded by `until`
            if self.stopping or time.monotonic() > until:
                return
            body = {
                "lat": around[0] + random.uniform(-0.01, 0.01),
                "lon": around[1] + random.uniform(-0.01, 0.01),
                "datum": "wgs84",
                "accuracy_m": 15.0,
            }
            started = time.monotonic()
            try:
                status = await http.request("PUT", "/api/v1/me/location", self.token, body)
            except Exception as exc:
                print(f"location: {exc!r}", file=sys.stderr)
                status = 0
            if status == 200:
                self.stats.moves_ok += 1
                if len(self.stats.move_ms) < 200_000:
                    self.stats.move_ms.append((time.monotonic() - started) * 1000)
            else:
                self.stats.moves_failed += 1
                self.stats.move_failures[str(status)] = self.stats.move_failures.get(str(status), 0) + 1
            await asyncio.sleep(every)


async def main() -> None:
    stats = Stats()
    phones: list[Phone] = []
    tasks: list[asyncio.Task[None]] = []
    async for cmd in commands(limit=10_000):
        if cmd["cmd"] == "connect":
            started = time.monotonic()
            urls = cmd["urls"]
            https = {url: Http(url.replace("ws://", "http://").split("/ws/")[0]) for url in urls}
            gate = asyncio.Semaphore(_CONNECT_CONCURRENCY)
            until = time.monotonic() + cmd["move_for"]

            async def one(
                i: int,
                spec: dict[str, Any],
                cmd: dict[str, Any] = cmd,
                urls: list[str] = urls,
                https: dict[str, Http] = https,
                gate: asyncio.Semaphore = gate,
                until: float = until,
            ) -> bool:
                url = urls[i % len(urls)]
                phone = Phone(stats, url, spec["token"])
                phones.append(phone)
                async with gate:
                    tasks.append(asyncio.create_task(phone.run()))
                    try:
                        await asyncio.wait_for(phone.welcomed.wait(), 120)
                    except TimeoutError:
                        return False
                if spec.get("on_duty"):
                    tasks.append(asyncio.create_task(phone.move(https[url], cmd["move_every"], cmd["around"], until)))
                return True

            results = await asyncio.gather(*(one(i, spec) for i, spec in enumerate(cmd["phones"])))
            ok = sum(results)
            reply({"connected": ok, "failed": len(results) - ok, "seconds": time.monotonic() - started})
        elif cmd["cmd"] == "report":
            reply(
                {
                    "alerts": stats.alerts,
                    "dup": stats.dup,
                    "gaps": stats.gaps,
                    "closes": stats.closes,
                    "reconnects": stats.reconnects,
                    "open": stats.open,
                    "moves": {
                        "ok": stats.moves_ok,
                        "failed": stats.moves_failed,
                        "failures": stats.move_failures,
                        "ms": stats.move_ms[-20_000:],
                    },
                }
            )
        elif cmd["cmd"] == "quit":
            break
    for phone in phones:
        phone.stopping = True
        if phone.ws is not None:
            try:
                await asyncio.wait_for(phone.ws.close(), 1)
            except Exception as exc:
                print(f"close: {exc!r}", file=sys.stderr)
    for task in tasks:
        task.cancel()


if __name__ == "__main__":
    uvloop.run(main())
