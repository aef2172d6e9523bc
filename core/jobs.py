"""Periodic jobs (escalations, reminders, deadlines) driven from stored state.

Each app may have a `jobs.py` that registers functions with `@periodic(...)`.
`manage.py run_jobs` runs every due job in a loop; any number of worker
processes may run it. A job must therefore claim its work atomically (e.g. an
`UPDATE ... WHERE state = 'pending' AND due_at <= now` whose row count says
whether this worker won, or `select_for_update(skip_locked=True)`), so that
each piece of work happens exactly once and survives restarts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from core.logging import Repeated

logger = logging.getLogger("zhengqi.jobs")

JobFn = Callable[[datetime], int]


@dataclass
class Job:
    name: str
    every_s: float
    run: JobFn
    next_at: float = field(default=0.0)
    # While it keeps failing (e.g. Redis is down for a while): a traceback once, then a line a minute.
    failing: Repeated = field(init=False)

    def __post_init__(self) -> None:
        self.failing = Repeated(logger, f"job {self.name} failed", level=logging.ERROR)


_REGISTRY: dict[str, Job] = {}


def periodic(name: str, *, every_s: float) -> Callable[[JobFn], JobFn]:
    """Register `fn(now) -> number of items handled` to run about every `every_s` seconds."""

    def register(fn: JobFn) -> JobFn:
        _REGISTRY[name] = Job(name=name, every_s=every_s, run=fn)
        return fn

    return register


def registered() -> dict[str, Job]:
    autodiscover_modules("jobs")
    return _REGISTRY


def run_due(*, now: datetime | None = None, force: bool = False) -> dict[str, int]:
    """Run each job whose interval has passed (or all, with force). A failing job is logged, not fatal."""
    results: dict[str, int] = {}
    clock = time.monotonic()
    for job in registered().values():
        if not force and clock < job.next_at:
            continue
        job.next_at = clock + job.every_s
        try:
            results[job.name] = job.run(now or timezone.now())
        except Exception as exc:
            job.failing.failed(exc)
            results[job.name] = -1
        else:
            job.failing.succeeded()
    return results


_started = threading.Event()
# After a failure of the loop itself (not of one job), wait this many ticks before the next round.
_RETRY_TICKS = 5


def start_background_jobs(*, tick_s: float = 1.0, stop: threading.Event | None = None) -> threading.Thread | None:
    """Run the job loop in a daemon thread of this process (once). Used by server processes.

    It runs until `stop` is set (never, by default). Returns the thread, or None if it was running.
    """
    if _started.is_set():
        return None
    _started.set()
    stopping = stop or threading.Event()

    def loop() -> None:
        while not stopping.is_set():
            try:
                close_old_connections()
                run_due()
            except Exception:
                # E.g. discovering the jobs modules failed, or the database went away between
                # jobs: the thread must outlive it, or this process silently stops escalating.
                logger.exception("the job loop failed; retrying in %.0f s", tick_s * _RETRY_TICKS)
                stopping.wait(tick_s * (_RETRY_TICKS - 1))
            stopping.wait(tick_s)

    thread = threading.Thread(target=loop, name="zhengqi-jobs", daemon=True)
    thread.start()
    return thread
