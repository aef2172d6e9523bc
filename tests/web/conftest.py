"""Browser tests: real server processes (as `make serve` runs them) on a seeded SQLite file,
driven by Playwright in Debian's Chromium (never `playwright install`; the `browser` and `new_page`
fixtures are tests/browser.py's). Screenshots go to test-output/screenshots/.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, _loopback_only
from tests.conftest import require_server

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
PASSWORD = "demo-Passw0rd!"  # the seeded demo password of this throwaway database
pytestmark = pytest.mark.browser
# bench/phone.py takes the browser settings from here.
__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "DESKTOP", "PHONE", "WebStack", "_loopback_only", "screenshot", "sign_in"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis_available() -> str | None:
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return None
    return url


@dataclass
class WebStack:
    """Server processes sharing one seeded database (and Redis, when there are two)."""

    urls: list[str]
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.urls[0]

    def manage(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-4000:]
        return done.stdout

    def shell(self, code: str) -> str:
        """Run Python in the servers' database (e.g. to check what was stored) and return its last output line."""
        out = self.manage("shell", "-c", code).strip().splitlines()
        return out[-1] if out else ""


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"the server on {port} exited: {output}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture(scope="session")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebStack]:
    """Two server processes on Redis when Redis is there (one otherwise), seeded like `make demo`."""
    redis_url = _redis_available()
    workdir = tmp_path_factory.mktemp("web")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'web.sqlite3'}",
        "ZHENGQI_DEMO_PASSWORD": PASSWORD,
        "ZHENGQI_JOBS_IN_PROCESS": "true",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
        env["ZHENGQI_REDIS_PREFIX"] = f"zqweb{uuid.uuid4().hex[:8]}"
    stack = WebStack(urls=[], env=env)
    stack.manage("migrate", "--noinput", "-v0")
    stack.manage("seed_demo", "--seed", "7", timeout=300)
    for _ in range(2 if redis_url else 1):
        port = free_port()
        # A file, not a pipe: nobody reads a pipe while the tests run, and a server whose
        # warnings (every 4xx is one) fill its 64 KiB buffer blocks on the next write.
        log = workdir / f"server-{port}.log"
        with log.open("wb") as sink:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(  # `make serve PORT=...` runs exactly this
                [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT,
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=sink,
            )
        stack.procs.append(proc)
        stack.logs.append(log)
        _wait_for_port(port, proc, log)
        stack.urls.append(f"http://127.0.0.1:{port}")
    try:
        yield stack
    finally:
        for proc in stack.procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in stack.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed browser test's report ends with the servers' last log lines (a 503's cause, a traceback)."""
    report = yield
    stack = getattr(item, "funcargs", {}).get("web_stack")
    if report.failed and isinstance(stack, WebStack):
        for log in stack.logs:
            lines = log.read_text(errors="replace").splitlines()
            report.sections.append((f"server log {log.name}, last lines", "\n".join(lines[-40:])))
    return report


@pytest.fixture
def two_servers(web_stack: WebStack) -> WebStack:
    if len(web_stack.urls) < 2:
        require_server("Redis", "two server processes need Redis to share events")
    return web_stack


def sign_in(page: Any, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(lambda url: "/login/" not in url, timeout=10_000)


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
