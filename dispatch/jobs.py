"""Periodic work of dispatch, run by core.jobs in every server process (or `manage.py run_jobs`)."""

from __future__ import annotations

import logging
from datetime import datetime

from core.jobs import periodic
from core.services.duty import positions_prune
from dispatch.services.alerts import alert_expire, alerts_expiring
from dispatch.services.escalation import alert_escalate, escalations_due

logger = logging.getLogger("zhengqi.dispatch")


@periodic("dispatch.escalate", every_s=5)
def escalate_due_alerts(now: datetime) -> int:
    """Escalate every alert whose time has come; returns how many steps this worker won."""
    done = 0
    for alert_id, step in escalations_due(now=now):
        try:
            done += alert_escalate(alert_id=alert_id, step=step, now=now)
        except Exception:  # one bad alert must not stop the others; the log has it
            logger.exception("escalating alert %s failed", alert_id)
    return done


@periodic("dispatch.expire", every_s=30)
def close_expired_alerts(now: datetime) -> int:
    """Close every active alert past its expiry (recipients are told); returns how many this worker closed."""
    return sum(alert_expire(alert_id=alert_id, now=now) for alert_id in alerts_expiring(now=now))


@periodic("dispatch.prune_positions", every_s=60)
def prune_stale_positions(now: datetime) -> int:
    """Forget fixes older than the freshness window, and those of people off duty: only a fresh, latest fix
    of someone on duty is ever kept (also after the store was away when they went off duty)."""
    return positions_prune(now=now)
