"""Demo data for `manage.py seed_demo`: one city training tomorrow, so `make demo` shows the flow."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from training.services.sessions import session_create


def seed(population: Any) -> None:
    """The city admin invites every volunteer to a training tomorrow at 09:00, relayed to every county."""
    admin = get_user_model().objects.filter(username="admin").first()
    if admin is None:
        return
    tomorrow = timezone.localdate() + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(tomorrow, time(9, 0)))
    session_create(
        actor=admin,
        kind="training",
        title="全市义警防汛救援培训",
        agenda="一、汛期形势通报\n二、救援装备使用\n三、各县区分会场交流",
        start=start,
        end=start + timedelta(hours=2),
        mode="both",
        roles=["volunteer"],
    )
