"""core.logging: how a record with an exception is written, in production (JSON) and development."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.logging import Repeated, formatter

PHONE = "".join(["138", "0013", "8000"])  # built, so that no source line in a traceback shows it
TOKEN = "-".join(["zq", "secret", "token"])


def _failing_lookup(phone: str) -> None:
    token = TOKEN  # a local that must never reach a log line
    raise ConnectionError(f"Error 111 connecting to 127.0.0.1:6379 ({len(phone + token)})")


@pytest.fixture(params=[True, False], ids=["json", "console"])
def written(request: pytest.FixtureRequest) -> Iterator[tuple[bool, io.StringIO, logging.Logger]]:
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(formatter(json=request.param))
    log = logging.getLogger(f"tests.logging.{request.param}")
    log.handlers, log.propagate, log.level = [handler], False, logging.INFO
    yield request.param, sink, log
    log.handlers = []


def test_an_exception_is_logged_as_a_plain_traceback_without_local_variables(written) -> None:
    as_json, sink, log = written
    try:
        _failing_lookup(PHONE)
    except ConnectionError:
        log.warning("presence heartbeat failed; retrying", exc_info=True)
    text = sink.getvalue()
    if as_json:
        record = json.loads(text)
        assert record["event"] == "presence heartbeat failed; retrying"
        assert record["level"] == "warning"
        text = record["exception"]
    assert "Traceback (most recent call last)" in text
    assert 'in _failing_lookup\n    raise ConnectionError(f"Error 111' in text
    assert "ConnectionError: Error 111 connecting to 127.0.0.1:6379" in text
    # Neither the argument nor the local variable of the failing frame is in the log.
    assert PHONE not in text
    assert TOKEN not in text
    assert "locals" not in text


def test_a_repeated_failure_is_logged_once_with_its_traceback_then_counted(caplog, monkeypatch) -> None:
    log = logging.getLogger("tests.logging.repeated")
    failing = Repeated(log, "rate limit not checked: the cache is unavailable", every_s=60)
    clock = {"now": 500.0}
    monkeypatch.setattr("core.logging.time.monotonic", lambda: clock["now"])

    def request(at: float, *, redis_up: bool) -> None:
        clock["now"] = at
        try:
            if not redis_up:
                raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")
        except ConnectionError as exc:
            failing.failed(exc)
        else:
            failing.succeeded()

    request(499.0, redis_up=True)  # nothing had failed: nothing to say
    with ThreadPoolExecutor(max_workers=8) as pool:  # a burst of requests on many threads
        list(pool.map(lambda _: request(500.0, redis_up=False), range(200)))
    request(530.0, redis_up=False)
    request(561.0, redis_up=False)
    request(562.0, redis_up=True)
    request(563.0, redis_up=True)

    lines = [(r.getMessage(), r.exc_info is not None) for r in caplog.records if r.name == log.name]
    assert lines == [
        ("rate limit not checked: the cache is unavailable", True),
        (
            "rate limit not checked: the cache is unavailable (202 times in a row; "
            "the last: Error 111 connecting to 127.0.0.1:6379)",
            False,
        ),
        ("rate limit not checked: the cache is unavailable: over, after 202 times in a row", False),
    ]
