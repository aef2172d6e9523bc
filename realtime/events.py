"""Typed real-time events and the only code that talks to the channel layer.

Feature apps define their events by subclassing `Event` (a literal `type`,
unknown fields forbidden) and call `publish` from their services:

- `publish(event, to=[person ids])`: durable. Inside the caller's transaction
  each recipient's stream gets the next sequence number and a stored row; after
  commit the event is pushed live to their connected phones. A phone that was
  away gets it by replay (`since`), so nothing is lost.
- `announce(event, area_code=...)`: ephemeral, for dashboards whose jurisdiction
  covers the area (counters, board and map updates). Not stored, not replayed;
  coalesced per dashboard: of several announces with the same `coalesce_key()`
  within one tick (ZHENGQI_DASHBOARD_UPDATES_PER_SECOND) only the latest is sent.

Delivery itself (Redis pub/sub or the in-process hubs) is `realtime.transport`,
reached only from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from pydantic import BaseModel, ConfigDict

from realtime import streams, transport


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def coalesce_key(self) -> str:
        """Announces with the same key replace each other on a dashboard within one tick.

        By default only identical events collapse; a live position would return
        e.g. f"position:{self.person_id}" so that the latest fix wins.
        """
        return self.model_dump_json()


def publish(event: Event, *, to: Iterable[int]) -> dict[int, int]:
    """Append the event to each person's durable stream; push it live after commit. Returns person id -> seq."""
    body = event.body()
    seqs = streams.append(person_ids=sorted(set(to)), type=event.type, payload=body)
    if seqs:
        transaction.on_commit(lambda: transport.deliver(body=body, seqs=seqs))
    return seqs


def announce(event: Event, *, area_code: str) -> None:
    """Push an ephemeral event after commit to the dashboards that cover `area_code`."""
    body, key = event.body(), event.coalesce_key()
    transaction.on_commit(lambda: transport.announce(body=body, area_code=area_code, key=key))
