from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.core.management import call_command

from core import jobs


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(jobs, "_REGISTRY", {})
    monkeypatch.setattr(jobs, "autodiscover_modules", lambda name: None)
    return jobs._REGISTRY


def test_due_jobs_run_and_report_what_they_handled(registry):
    seen: list[datetime] = []

    @jobs.periodic("count", every_s=60)
    def count(now: datetime) -> int:
        seen.append(now)
        return 3

    first = jobs.run_due()
    second = jobs.run_due()  # not due again for a minute

    assert first == {"count": 3}
    assert second == {}
    assert len(seen) == 1


def test_a_failing_job_is_logged_and_does_not_stop_the_others(registry, caplog):
    @jobs.periodic("broken", every_s=1)
    def broken(now: datetime) -> int:
        raise RuntimeError("boom")

    @jobs.periodic("fine", every_s=1)
    def fine(now: datetime) -> int:
        return 1

    assert jobs.run_due(force=True) == {"broken": -1, "fine": 1}
    assert "job broken failed" in caplog.text


def test_a_job_that_keeps_failing_is_reported_once_with_its_traceback_then_once_a_minute(registry, caplog, monkeypatch):
    state = {"broken": True}

    @jobs.periodic("positions", every_s=1)
    def positions(now: datetime) -> int:
        if state["broken"]:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")
        return 2

    clock = {"now": 1000.0}
    monkeypatch.setattr(jobs.time, "monotonic", lambda: clock["now"])  # the time module: the logging's clock too
    for at in (1000.0, 1001.0, 1030.0, 1061.0, 1062.0):
        clock["now"] = at
        assert jobs.run_due() == {"positions": -1}
    clock["now"] = 1063.0
    state["broken"] = False
    assert jobs.run_due() == {"positions": 2}

    lines = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert lines == [
        ("ERROR", "job positions failed", True),  # the first, with the traceback
        ("ERROR", "job positions failed (4 times in a row; the last: Error 111 connecting to 127.0.0.1:6379)", False),
        ("WARNING", "job positions failed: over, after 5 times in a row", False),
    ]


def test_run_jobs_once_runs_every_job(registry):
    @jobs.periodic("one", every_s=3600)
    def one(now: datetime) -> int:
        return 7

    out = io.StringIO()
    call_command("run_jobs", "--once", stdout=out)

    assert out.getvalue().strip() == "{'one': 7}"


def test_the_background_loop_survives_a_failure_of_job_discovery(registry, monkeypatch, caplog):
    # Seen in a benchmark: autodiscover_modules raised OSError at start-up and the thread died,
    # so that process never escalated anything. The loop must log it and try again.
    import threading

    calls: list[int] = []
    ran = threading.Event()

    def flaky_discovery(name: str) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("Too many levels of symbolic links")

    @jobs.periodic("after", every_s=0)
    def after(now: datetime) -> int:
        ran.set()
        return 1

    monkeypatch.setattr(jobs, "autodiscover_modules", flaky_discovery)
    monkeypatch.setattr(jobs, "_started", threading.Event())
    monkeypatch.setattr(jobs, "_RETRY_TICKS", 1)
    stop = threading.Event()
    thread = jobs.start_background_jobs(tick_s=0.01, stop=stop)
    try:
        assert ran.wait(timeout=10)
    finally:
        stop.set()
        assert thread is not None
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert "the job loop failed" in caplog.text
