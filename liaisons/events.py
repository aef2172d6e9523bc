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


class ImportProgress(Event):
    """How far a large liaison import has got, for the importer's dashboard (ephemeral, latest wins).

    `key` is the client's own `progress_key`, so it can tell its import from a colleague's.
    Phases: checking (every N rows, `rows` checked so far), writing (all rows valid, upserting),
    done (committed), failed (bad rows; nothing written).
    """

    type: Literal["liaisons.import_progress"] = "liaisons.import_progress"
    key: str
    phase: Literal["checking", "writing", "done", "failed"]
    rows: int

    def coalesce_key(self) -> str:
        return f"import:{self.key}"
