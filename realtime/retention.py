"""realtime's part of `manage.py retention`: acknowledged stream events past ZHENGQI_STREAM_RETENTION_DAYS."""

from __future__ import annotations

from datetime import datetime

from core.retention import retention_task
from realtime.services import streams_prune


@retention_task("stream_events")
def prune_stream_events(now: datetime) -> int:
    return streams_prune()  # unacknowledged events stay, whatever their age
