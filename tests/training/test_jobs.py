from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from core.jobs import registered
from core.models import Area
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN, XUNXIAN_TOWNSHIP
from tests.training.conftest import T0, create_session, events_of
from training.models import Attendance, AttendanceTally, Relay, Reminder
from training.services.attendance import sessions_close_due
from training.services.relays import relay_deadlines_due
from training.services.sessions import reminders_due

START = T0 + timedelta(hours=2)


@pytest.fixture
def scheduled(clock, make_person, login, session_body):
    host = make_person("county_coordinator", QIXIAN)
    people = [make_person("volunteer", QIXIAN_TOWNSHIP) for _ in range(2)]
    created = create_session(login(host), session_body(start=START))
    return {"id": created["id"], "people": people, "host": login(host)}


@pytest.mark.django_db
def test_each_reminder_is_sent_once_at_its_offset_even_when_the_job_runs_twice(scheduled):
    before = reminders_due(now=START - timedelta(minutes=31))
    at_30 = (reminders_due(now=START - timedelta(minutes=30)), reminders_due(now=START - timedelta(minutes=29)))
    at_5 = (reminders_due(now=START - timedelta(minutes=5)), reminders_due(now=START - timedelta(minutes=4)))

    assert (before, at_30, at_5) == (0, (1, 0), (1, 0))
    for person in scheduled["people"]:
        assert [e["minutes_before"] for e in events_of(person, "session.reminder")] == [30, 5]


@pytest.mark.django_db
def test_a_cancelled_session_sends_no_reminders(scheduled):
    scheduled["host"].post(f"/api/v1/sessions/{scheduled['id']}/cancel", {"reason": ""})

    assert reminders_due(now=START) == 0
    assert events_of(scheduled["people"][0], "session.reminder") == []


def race(job, now) -> list[int]:
    """Run `job(now=now)` in two threads released at the same instant, as two worker processes would."""
    barrier = threading.Barrier(2, timeout=10)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(job(now=now))
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results


needs_row_locks = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the SQLite test database is in-memory with shared-cache table locks (not the server's WAL file); "
    "these races run on PostgreSQL in CI",
)


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_reminder_job_at_once_send_each_reminder_once(scheduled):
    results = race(reminders_due, START - timedelta(minutes=4))

    assert sum(results) == 2
    assert Reminder.objects.filter(session_id=scheduled["id"], sent_at__isnull=True).count() == 0
    for person in scheduled["people"]:
        assert sorted(e["minutes_before"] for e in events_of(person, "session.reminder")) == [5, 30]


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_two_workers_flagging_overdue_relays_tell_the_host_once(clock, make_person, login, session_body):
    make_person("volunteer", QIXIAN_TOWNSHIP)
    make_person("volunteer", XUNXIAN_TOWNSHIP)
    host = make_person("city_admin", "410600")
    created = create_session(login(host), session_body(relay_deadline=(T0 + timedelta(hours=1)).isoformat()))

    results = race(relay_deadlines_due, T0 + timedelta(hours=2))

    assert sorted(results) == [0, 1]
    assert [e["area_codes"] for e in events_of(host, "session.relay_overdue")] == [[XUNXIAN, QIXIAN]]
    assert Relay.objects.filter(session_id=created["id"], overdue_at__isnull=False).count() == 2


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_two_workers_flagging_townships_relayed_after_the_deadline_tell_the_county_once(
    clock, make_person, login, session_body, settings
):
    settings.TRAINING_LATE_RELAY_GRACE_MIN = 30
    townships = list(Area.objects.filter(parent_id=QIXIAN).order_by("code").values_list("code", flat=True)[:2])
    for code in townships:
        make_person("volunteer", code)
    county = make_person("county_coordinator", QIXIAN)
    host = make_person("city_admin", "410600")
    deadline = T0 + timedelta(hours=1)
    created = create_session(login(host), session_body(relay_deadline=deadline.isoformat()))
    clock.set(deadline + timedelta(minutes=5))
    confirmed = login(county).post(f"/api/v1/sessions/{created['id']}/relays/{QIXIAN}/confirm", {})
    assert confirmed.status_code == 200, confirmed.content

    results = race(relay_deadlines_due, deadline + timedelta(minutes=35))

    assert sorted(results) == [0, 1]
    assert [e["area_codes"] for e in events_of(county, "session.relay_overdue")] == [townships]
    flagged = Relay.objects.filter(session_id=created["id"], parent__area_id=QIXIAN, overdue_at__isnull=False)
    assert sorted(flagged.values_list("area_id", flat=True)) == townships


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_two_workers_closing_sessions_close_each_once(scheduled):
    results = race(sessions_close_due, START + timedelta(hours=3))

    assert sorted(results) == [0, 1]
    assert Attendance.objects.filter(session_id=scheduled["id"], status="absent").count() == 2
    assert AttendanceTally.objects.filter(session_id=scheduled["id"], dimension="area").count() == 1


def test_the_training_jobs_are_registered_for_run_jobs():
    assert {"training.reminders", "training.relay_deadlines", "training.close_sessions"} <= set(registered())
