"""The browser the page tests drive: Debian's Chromium through Playwright (never `playwright install`).

The `browser` and `new_page` fixtures are defined once here and made fixtures for the whole suite by
tests/conftest.py. Playwright's sync API allows one instance per thread, and while it runs, the thread
has a running event loop (so `asyncio.run` fails): a directory that runs before asyncio-based tests
(tests/deploy, before tests/faults) keeps its browser to a module. Every request a page makes to anything
but loopback is aborted, and Chromium's own background traffic is switched off.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # Nothing but loopback resolves, whatever a page (or a service worker) asks for.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
PHONE = {"viewport": {"width": 390, "height": 780}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1366, "height": 860}}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_PLAYWRIGHT: list[Any] = []  # the running Playwright instance, while a `launched()` block holds it


@contextmanager
def launched() -> Iterator[Any]:
    """Debian's Chromium under Playwright's sync API, for as long as the block lasts."""
    from tests.conftest import IN_CI

    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail("Debian's chromium is required in CI (.ci/run installs it)")
        pytest.skip("SKIPPING browser tests: no /usr/bin/chromium (apt-get install chromium); they run in CI")
    from playwright.sync_api import sync_playwright

    # One Playwright per thread: a block opened while another is open (tests/deploy's module browser
    # after tests/web's session one, when both directories run in that order) uses the same one.
    owner = not _PLAYWRIGHT
    if owner:
        _PLAYWRIGHT.append(sync_playwright().start())
    try:
        browser = _PLAYWRIGHT[0].chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        if owner:
            _PLAYWRIGHT.pop().stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the session (tests/web, the last directory to run); a directory whose tests run
    before others that use asyncio overrides it with a shorter scope (tests/deploy/conftest.py)."""
    with launched() as found:
        yield found


def _loopback_only(route: Any) -> None:
    host = urlsplit(route.request.url).hostname or ""
    if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
        route.continue_()
    else:
        route.abort("blockedbyclient")


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """new_page(kind="phone"|"desktop", language="zh-hans"|"en") -> a Page in its own browser context.

    Uncaught page errors fail the test: a broken script is a broken page. So does anything the page's
    Content-Security-Policy blocks (the browser reports it on the console).
    """
    contexts: list[Any] = []
    errors: list[str] = []

    def make(kind: str = "phone", language: str = "zh-hans", **options: Any) -> Any:
        context = browser.new_context(
            **(PHONE if kind == "phone" else DESKTOP),
            locale="zh-CN" if language == "zh-hans" else "en-US",
            **{"timezone_id": "Asia/Shanghai", **options},
        )
        context.route("**/*", _loopback_only)
        context.add_cookies([{"name": "django_language", "value": language, "domain": "127.0.0.1", "path": "/"}])
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        page.on(
            "console",
            lambda message: (
                errors.append(f"{page.url}: {message.text}") if "Content Security Policy" in message.text else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, "uncaught errors in the page:\n" + "\n".join(errors)


def wait_until(page: Any, script: str, arg: Any = None, *, timeout: float = 10_000, pause: float = 50) -> Any:
    """Poll `page.evaluate(script, arg)` until it is truthy (at most `timeout` ms); return what it gave.

    Instead of `page.wait_for_function`: Playwright compiles that predicate with `new Function` in the
    page, which the page's Content-Security-Policy (no 'unsafe-eval') refuses whenever the poll runs
    outside DevTools' own evaluation (microsoft/playwright#36982), so it failed now and then as an
    "uncaught" EvalError. `page.evaluate` is DevTools' own evaluation: no CSP applies to it.
    """
    deadline = time.monotonic() + timeout / 1000
    for _ in range(int(timeout // pause) + 1):
        result = page.evaluate(script, arg)
        if result or time.monotonic() >= deadline:
            break
        page.wait_for_timeout(pause)
    assert result, f"{script} still gave {result!r} after {timeout:.0f} ms"
    return result
