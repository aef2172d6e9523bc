"""Periodic work of trainings and meetings; each claims its items atomically (see core.jobs)."""

from __future__ import annotations

from datetime import datetime

from core.jobs import periodic
from training.services.attendance import sessions_close_due
from training.services.relays import relay_deadlines_due
from training.services.sessions import reminders_due


@periodic("training.reminders", every_s=15)
def send_reminders(now: datetime) -> int:
    return reminders_due(now=now)


@periodic("training.relay_deadlines", every_s=30)
def flag_overdue_relays(now: datetime) -> int:
    return relay_deadlines_due(now=now)


@periodic("training.close_sessions", every_s=60)
def close_sessions(now: datetime) -> int:
    return sessions_close_due(now=now)
