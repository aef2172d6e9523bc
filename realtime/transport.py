"""Live delivery after commit: the fast path only (replay covers whatever it misses).

This first version sends one channel-layer message per recipient group; the
real-time backbone replaces it with one cross-process message per publish that
each server process fans out to its own sockets.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger("zhengqi.realtime")


def person_group(person_id: int) -> str:
    return f"person.{person_id}"


def area_group(prefix: str) -> str:
    return f"area.{prefix}"


def deliver(*, body: dict[str, Any], seqs: dict[int, int]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for person_id, seq in seqs.items():
        try:
            async_to_sync(layer.group_send)(
                person_group(person_id), {"type": "stream.event", "seq": seq, "event": body}
            )
        except Exception:  # the fast path may fail; the stored row is delivered by replay
            logger.warning("live delivery failed for person %s seq %s", person_id, seq, exc_info=True)


def announce(*, body: dict[str, Any], area_code: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # Dashboards join one group per prefix of their jurisdiction; send to every ancestor prefix.
    for length in (4, 6, 9, 12):
        if length <= len(area_code):
            try:
                async_to_sync(layer.group_send)(
                    area_group(area_code[:length]), {"type": "dashboard.event", "event": body}
                )
            except Exception:
                logger.warning("dashboard announce failed for %s", area_code, exc_info=True)
