"""Data retention: how long personal data is kept, and the one place that prunes it.

`manage.py retention` (run daily, e.g. from cron) runs every registered task. Each app may
have a `retention.py` registering its own with `@retention_task(...)` (realtime prunes its
acknowledged stream events there), so core stays ignorant of the apps, as with jobs.

What core prunes itself:
- live positions: fixes older than FRESH_FOR (nobody may use them), and any fix of a person
  who is not on duty (going off duty removes it after commit; this catches a crash in between);
- audit entries older than ZHENGQI_AUDIT_RETENTION_DAYS (at least 180: network logs are kept six months);
- API tokens that expired or were revoked more than ZHENGQI_TOKEN_RETENTION_DAYS ago
  (they hold the device's user agent and when it was last used);
- django-axes' login records (usernames, addresses) older than the audit retention, and
  failed-attempt counters whose cool-off has passed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from core.models import ApiToken, AuditEntry
from core.services.duty import positions_prune

logger = logging.getLogger("zhengqi.retention")

TaskFn = Callable[[datetime], int]
_REGISTRY: dict[str, TaskFn] = {}
_BATCH = 5000


def retention_task(name: str) -> Callable[[TaskFn], TaskFn]:
    """Register `fn(now) -> rows or items removed` to run with `manage.py retention`."""

    def register(fn: TaskFn) -> TaskFn:
        _REGISTRY[name] = fn
        return fn

    return register


def registered() -> dict[str, TaskFn]:
    autodiscover_modules("retention")
    return dict(sorted(_REGISTRY.items()))


def run(*, now: datetime | None = None) -> dict[str, int]:
    """Run every task; a failing one is logged and reported as -1, and the others still run."""
    at = now or timezone.now()
    results: dict[str, int] = {}
    for name, task in registered().items():
        try:
            results[name] = task(at)
        except Exception:
            logger.exception("retention task %s failed", name)
            results[name] = -1
    return results


def delete_in_batches(rows: QuerySet[Model]) -> int:
    """Delete what `rows` selects, a batch at a time, so a backlog never holds one long lock."""
    removed = 0
    for _batch in range(1_000_000):  # bounded: each batch removes rows or ends the loop
        ids = list(rows.values_list("pk", flat=True)[:_BATCH])
        if not ids:
            break
        with transaction.atomic():
            removed += rows.model._default_manager.filter(pk__in=ids).delete()[0]
    return removed


@retention_task("positions")
def prune_positions(now: datetime) -> int:
    return positions_prune(now=now)


@retention_task("audit_entries")
def prune_audit(now: datetime) -> int:
    return delete_in_batches(AuditEntry.objects.filter(at__lt=now - timedelta(days=settings.AUDIT_RETENTION_DAYS)))


@retention_task("api_tokens")
def prune_tokens(now: datetime) -> int:
    cutoff = now - timedelta(days=settings.TOKEN_RETENTION_DAYS)
    return delete_in_batches(ApiToken.objects.filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff)))


@retention_task("login_records")
def prune_login_records(now: datetime) -> int:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    cutoff = now - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    removed = delete_in_batches(AccessLog.objects.filter(attempt_time__lt=cutoff))
    removed += delete_in_batches(AccessFailureLog.objects.filter(attempt_time__lt=cutoff))
    return removed + delete_in_batches(AccessAttempt.objects.filter(attempt_time__lt=now - settings.AXES_COOLOFF_TIME))
