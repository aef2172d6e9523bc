"""Structured logging: JSON lines in production, readable lines in development."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import structlog

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def formatter(*, json: bool) -> logging.Formatter:
    """Build the stdlib formatter used by LOGGING (both stdlib and structlog records)."""
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    # Tracebacks are plain text in both formats, never with local variables: locals would put
    # personal data (a phone number, a token) into the log, and the console renderer's default
    # (rich, when installed) took ~80 ms per traceback under the logging lock, which stalled every
    # request of a server that logs one per request while Redis is down.
    renderers: list[Any] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(ensure_ascii=False)]
        if json
        else [structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)]
    )
    return structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderers],
        foreign_pre_chain=_SHARED,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)


class Repeated:
    """One failure that can recur many times a second (Redis down: every request, every publish).

    The first time it is logged with its traceback; while it goes on, one line at most every
    `every_s` with how often it happened; when the caller succeeds again, one line saying so.
    A traceback per request would flood the log (and bury everything else) during an outage.
    """

    def __init__(self, logger: logging.Logger, message: str, *, level: int = logging.WARNING, every_s: float = 60.0):
        self._logger, self._message, self._level, self._every_s = logger, message, level, every_s
        self._lock = threading.Lock()
        self._count = 0
        self._reported_at = 0.0

    def failed(self, exc: BaseException) -> None:
        """Call in the `except` block (the first report carries the active traceback)."""
        now = time.monotonic()
        with self._lock:
            self._count += 1
            count, first = self._count, self._count == 1
            due = first or now - self._reported_at >= self._every_s
            if due:
                self._reported_at = now
        if first:
            self._logger.log(self._level, self._message, exc_info=True)
        elif due:
            self._logger.log(self._level, "%s (%d times in a row; the last: %s)", self._message, count, exc)

    def succeeded(self) -> None:
        """Call when the operation worked; cheap when nothing had failed."""
        if not self._count:
            return
        with self._lock:
            count, self._count = self._count, 0
        if count:
            self._logger.warning("%s: over, after %d times in a row", self._message, count)
