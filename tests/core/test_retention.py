"""`manage.py retention`: personal data past its retention is deleted, everything still in use stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.core.management import CommandError, call_command
from django.utils import timezone

from core import retention
from core.models import ApiToken, AuditAction, AuditEntry, DutyStatus
from core.positions import FRESH_FOR, Fix, positions
from core.services.audit import audit_record
from realtime.events import publish
from realtime.models import StreamEvent
from realtime.services import acks_record
from tests.core.test_settings import FIELD_KEY, GOOD_KEY, run_django
from tests.realtime.conftest import Note

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_positions")]


def _fix(person_id: int, *, age: timedelta) -> None:
    positions().put(Fix(person_id=person_id, lat=35.6, lon=114.2, accuracy_m=5.0, at=timezone.now() - age))


def _duty(person, on: bool) -> None:
    DutyStatus.objects.create(person=person, on_duty=on, changed_at=timezone.now())


def test_stale_fixes_and_fixes_of_people_off_duty_are_deleted_and_live_ones_kept(make_person):
    live, stale, off_duty = make_person(), make_person(), make_person()
    _duty(live, True)
    _duty(stale, True)
    _duty(off_duty, False)  # e.g. the server died between going off duty and removing the fix
    _fix(live.pk, age=timedelta(minutes=1))
    _fix(stale.pk, age=FRESH_FOR + timedelta(seconds=1))
    _fix(off_duty.pk, age=timedelta(minutes=1))

    removed = retention.prune_positions(timezone.now())

    assert removed == 2
    assert positions().get(live.pk) is not None
    assert positions().get(stale.pk) is None
    assert positions().get(off_duty.pk) is None


def test_audit_entries_older_than_the_retention_are_deleted(settings):
    settings.AUDIT_RETENTION_DAYS = 365
    old = audit_record(actor=None, action=AuditAction.LOGIN_FAILED, details={"username": "old"})
    recent = audit_record(actor=None, action=AuditAction.LOGIN_FAILED, details={"username": "recent"})
    AuditEntry.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=366))
    AuditEntry.objects.filter(pk=recent.pk).update(at=timezone.now() - timedelta(days=364))

    assert retention.prune_audit(timezone.now()) == 1
    assert list(AuditEntry.objects.values_list("pk", flat=True)) == [recent.pk]


def test_tokens_long_expired_or_revoked_are_deleted_and_the_rest_kept(make_person, settings):
    settings.TOKEN_RETENTION_DAYS = 30
    user = make_person().user
    now = timezone.now()

    def token(digest: str, **fields) -> ApiToken:
        return ApiToken.objects.create(user=user, digest=digest, expires_at=fields.pop("expires_at", now), **fields)

    token("long-expired", expires_at=now - timedelta(days=31))
    token("long-revoked", expires_at=now + timedelta(days=5), revoked_at=now - timedelta(days=31))
    token("just-expired", expires_at=now - timedelta(days=1))
    token("live", expires_at=now + timedelta(days=5))

    assert retention.prune_tokens(now) == 2
    assert set(ApiToken.objects.values_list("digest", flat=True)) == {"just-expired", "live"}


def test_old_login_records_and_expired_lockout_counters_are_deleted(settings):
    now = timezone.now()
    AccessLog.objects.create(username="u", ip_address="10.0.0.1", user_agent="x", attempt_time=now)
    AccessLog.objects.filter().update(attempt_time=now - timedelta(days=settings.AUDIT_RETENTION_DAYS + 1))
    AccessLog.objects.create(username="u", ip_address="10.0.0.1", user_agent="x", attempt_time=now)
    attempt = AccessAttempt.objects.create(username="u", ip_address="10.0.0.1", user_agent="x", failures_since_start=3)
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=now - settings.AXES_COOLOFF_TIME - timedelta(1))

    assert retention.prune_login_records(now) == 2
    assert AccessLog.objects.count() == 1
    assert not AccessAttempt.objects.exists()


def test_the_command_runs_every_task_including_the_apps_own(make_person, capsys, settings):
    settings.STREAM_RETENTION_DAYS = 7
    person = make_person()
    publish(Note(n=1), to=[person.pk])
    publish(Note(n=2), to=[person.pk])
    StreamEvent.objects.update(created_at=timezone.now() - timedelta(days=8))
    acks_record(acks={person.pk: 1})

    call_command("retention")

    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "api_tokens: 0 removed",
        "audit_entries: 0 removed",
        "login_records: 0 removed",
        "positions: 0 removed",
        "stream_events: 1 removed",  # realtime's task: the acknowledged event only
    ]
    assert list(StreamEvent.objects.values_list("seq", flat=True)) == [2]


def test_a_failing_task_does_not_stop_the_others_and_fails_the_command(monkeypatch, capsys):
    def broken(now):
        raise RuntimeError("boom")

    monkeypatch.setitem(retention._REGISTRY, "broken", broken)

    with pytest.raises(CommandError):
        call_command("retention")

    out = capsys.readouterr().out
    assert "broken: FAILED (see the log)" in out
    assert "audit_entries: 0 removed" in out


def test_an_audit_retention_under_six_months_stops_start_up():
    result = run_django(
        "print('started')",
        ZHENGQI_AUDIT_RETENTION_DAYS="30",
        SECRET_KEY=GOOD_KEY,
        ZHENGQI_FIELD_KEYS=FIELD_KEY,
    )

    assert result.returncode != 0
    assert "ZHENGQI_AUDIT_RETENTION_DAYS" in result.stderr
