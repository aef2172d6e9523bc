"""Real processes for fault, load and deployment tests: servers, a private Redis, a cuttable TCP proxy, phones.

Every server is started exactly as `make serve` starts it (`manage.py serve`).
Ports are free loopback ports (from ZHENGQI_TEST_PORTS=LO-HI when set, so that
parallel runs on a shared machine can keep to their own range). Nothing here
talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import websockets

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"
_taken: set[int] = set()


def free_port() -> int:
    """A loopback port nothing listens on (inside ZHENGQI_TEST_PORTS=LO-HI when that is set)."""
    spec = os.environ.get("ZHENGQI_TEST_PORTS", "")
    candidates: list[int] = [0]
    if spec:
        lo, hi = (int(x) for x in spec.split("-"))
        candidates = random.sample(range(lo, hi + 1), min(200, hi - lo + 1))
    for port in candidates:
        if port in _taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            found = int(s.getsockname()[1])
        _taken.add(found)
        return found
    raise RuntimeError(f"no free port in {spec}")


def wait_for_port(port: int, proc: subprocess.Popen[Any] | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process on {port} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    env.update(
        {
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            "ZHENGQI_JOBS_IN_PROCESS": "false",
            "ZHENGQI_DEMO_PASSWORD": PASSWORD,
        }
    )
    env.update(extra)
    return env


def seed(env: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    """Migrate the database in env and create the people in `spec` (see tests/faults/seeding.py)."""
    manage(env, "migrate", "--noinput", "-v0")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "seeded.json"
        code = f"from tests.faults.seeding import run; run({json.dumps(spec)!r}, {str(out)!r})"
        manage({**env}, "shell", "-c", code)
        return dict(json.loads(out.read_text()))


# --- processes -------------------------------------------------------------------------------
class Server:
    """One `manage.py serve` process on its own port; its log goes to a file (never a pipe that could fill)."""

    def __init__(self, env: dict[str, str], log_dir: Path, port: int | None = None) -> None:
        self.env = env
        self.port = port or free_port()
        self.log = log_dir / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v1/phone"

    def start(self) -> Server:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(  # `make serve PORT=...` runs exactly this
                [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                start_new_session=True,
                stdout=log,
                stderr=log,
            )
        wait_for_port(self.port, self.proc)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=20)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def rss_kib(self) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class RedisServer:
    """A private redis-server on its own port: the test may stop and restart it (the shared one stays up)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(self.port, self.proc, timeout=10)
        return self

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)


class TcpProxy:
    """A loopback TCP proxy in a thread of its own, that can cut every connection and refuse new ones."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1", port: int | None = None) -> None:
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name=f"proxy-{self.port}")
        self.thread.start()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def open(self) -> None:
        async def start() -> None:
            self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)

        self._call(start())

    def cut(self) -> None:
        async def cut() -> None:
            if self.server is not None:
                self.server.close()
                self.server = None
            for writer in list(self.writers):
                writer.transport.abort()
            self.writers.clear()

        self._call(cut())

    def close(self) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                for _ in range(100_000_000):  # bounded; ends at EOF or when cut
                    data = await src.read(65536)
                    if not data:
                        break
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@contextlib.contextmanager
def running(*things: Any) -> Iterator[None]:
    """Stop every server / Redis / proxy at the end, whatever happened."""
    try:
        yield
    finally:
        for thing in reversed(things):
            with contextlib.suppress(Exception):
                if isinstance(thing, TcpProxy):
                    thing.close()
                else:
                    thing.stop()


# --- HTTP ---------------------------------------------------------------------------------------
class Reply(tuple[int, Any]):
    """(status, body) that also carries the response headers."""

    headers: Any

    @property
    def status(self) -> int:
        return int(self[0])

    @property
    def body(self) -> Any:
        return self[1]


def http(
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: Any = None,
    timeout: float = 30,
    context: ssl.SSLContext | None = None,
) -> Reply:
    """One JSON request; returns (status, parsed body or text) with .headers. Never raises on an HTTP error status."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (loopback URLs built here)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310
            status, raw, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        status, raw, headers = exc.code, exc.read(), exc.headers
    text = raw.decode(errors="replace")
    reply = Reply((status, json.loads(text) if "json" in (headers.get("Content-Type") or "") else text))
    reply.headers = headers
    return reply


# --- phones -------------------------------------------------------------------------------------
class Phone:
    """A phone app as docs/PROTOCOL.md asks: hello with the last processed seq, reconnect with backoff.

    It tries its servers in order (the first is "its" server) and moves to the next
    when one refuses. It records every durable event it processes, and counts
    duplicates (a seq at or below the last processed) and gaps (a seq that skips).
    """

    def __init__(self, name: str, token: str, urls: list[str], context: ssl.SSLContext | None = None) -> None:
        self.name = name
        self.context = context
        self.token = token
        self.urls = urls
        self.url_index = 0
        self.last_seq = 0
        self.events: list[dict[str, Any]] = []  # {"seq", "event", "replayed", "url"}
        self.duplicates = 0
        self.gaps = 0
        self.closes: list[int | None] = []
        self.connections: list[str] = []
        self.connected = asyncio.Event()
        self.may_reconnect = asyncio.Event()
        self.may_reconnect.set()
        self.task: asyncio.Task[None] | None = None
        self.ws: Any = None

    def start(self) -> Phone:
        self.task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e["event"] for e in self.events if e["event"]["type"] == kind]

    async def _run(self) -> None:
        attempt = 0
        for _ in range(10_000):  # reconnects; bounded
            await self.may_reconnect.wait()
            url = self.urls[self.url_index % len(self.urls)]
            try:
                async with websockets.connect(
                    url, open_timeout=5, close_timeout=1, max_size=2**24, ssl=self.context
                ) as ws:
                    self.ws = ws
                    await ws.send(json.dumps({"type": "hello", "token": self.token, "since": self.last_seq}))
                    welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    assert welcome["type"] == "welcome", welcome
                    replay_to = welcome["seq"]
                    self.connections.append(url)
                    self.connected.set()
                    attempt = 0
                    async for raw in ws:
                        self._take(json.loads(raw), replay_to=replay_to, url=url)
                    self.closes.append(ws.close_code)
            except (OSError, websockets.WebSocketException, TimeoutError) as exc:
                code = getattr(getattr(exc, "rcvd", None), "code", None)
                self.closes.append(code)
                if isinstance(exc, OSError | TimeoutError | websockets.InvalidStatus):
                    self.url_index += 1  # this server is away: try the next one
            finally:
                self.connected.clear()
                self.ws = None
            delay = min(2.0, 0.1 * 2**attempt)
            attempt += 1
            await asyncio.sleep(random.uniform(delay / 2, delay))

    def _take(self, frame: dict[str, Any], *, replay_to: int, url: str) -> None:
        if frame.get("type") != "event" or "seq" not in frame:
            return
        seq = frame["seq"]
        if seq <= self.last_seq:
            self.duplicates += 1
            return
        if seq != self.last_seq + 1:
            self.gaps += seq - self.last_seq - 1
        self.last_seq = seq
        self.events.append({"seq": seq, "event": frame["event"], "replayed": seq <= replay_to, "url": url})


async def until(predicate: Any, *, timeout: float, what: str, every: float = 0.05) -> None:
    """Wait (bounded) until predicate() is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
