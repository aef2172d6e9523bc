"""Typed real-time events of the liaison network (ephemeral: announced to dashboards, never replayed)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from realtime.events import Event


class CoverageChanged(Event):
    """Coverage in a township or county changed (duty, positions or members): dashboards covering it refetch."""

    type: Literal["coverage.changed"] = "coverage.changed"
    area_code: str  # the township (or county) whose coverage changed
    at: datetime
    on_duty: int | None = None  # people homed there on duty now, when the sender counted them
