"""core.logging: how a record with an exception is written, in production (JSON) and development."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from core.logging import formatter

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
