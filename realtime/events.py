"""Typed real-time events and the only code that talks to the channel layer.

Feature apps define their events by subclassing `Event` (a literal `type`,
unknown fields forbidden) and call `publish` from their services:

- `publish(event, to=[person ids])`: durable. Inside the caller's transaction
  each recipient's stream gets the next sequence number and a stored row; after
  commit the event is pushed live to their connected phones. A phone that was
  away gets it by replay (`since`), so nothing is lost.
- `publish_many(event, to={person id: {field: value}})`: durable, like `publish`,
  when each person's copy differs in a few fields (an alert's distance and
  bearing from each recipient). `event` holds what everyone shares; one stream
  append and one live message for everyone, however many copies differ.
- `announce(event, area_code=...)`: ephemeral, for dashboards whose jurisdiction
  covers the area (counters, board and map updates). Not stored, not replayed;
  coalesced per dashboard: of several announces with the same `coalesce_key()`
  within one tick (ZHENGQI_DASHBOARD_UPDATES_PER_SECOND) only the latest is sent.

Delivery itself (Redis pub/sub or the in-process hubs) is `realtime.transport`,
reached only from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.db import transaction
from pydantic import BaseModel, ConfigDict, TypeAdapter, with_config
from typing_extensions import TypedDict  # pydantic needs this one on Python 3.11

from realtime import protocol, streams, transport


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


def publish_many(event: Event, *, to: Mapping[int, Mapping[str, Any]]) -> dict[int, int]:
    """Like `publish`, but each person's copy has values of its own for some of the event's fields.

    Every `to[person_id]` names the same fields of the event (not `type`), validated against
    the event's own field types; the person's copy is `event` with those fields replaced. It is
    stored, replayed and pushed exactly as `publish` does it: one stream append for everyone,
    and after commit one live message that each server process fans out to its own sockets.
    Returns person id -> seq.
    """
    if not to:
        return {}
    fields = frozenset(next(iter(to.values())))
    adapter = _personal(type(event), fields)
    own = adapter.dump_python(adapter.validate_python(to), mode="json")
    shared = protocol.dumps(event.model_dump(mode="json", exclude=set(fields)))
    # Each person's members as JSON text without braces; their copy is the shared object plus these.
    # (JSON mode turned the person ids into strings.)
    own_json = {int(pid): members for pid, members in protocol.members_each(own).items()}
    seqs = streams.append_each(type=event.type, shared=shared, own=own_json)
    transaction.on_commit(lambda: transport.deliver_each(shared=shared, own=own_json, seqs=seqs))
    return seqs


class PersonalFieldError(ValueError):
    """`publish_many` was given a personal field the event does not have (a programming error)."""


@lru_cache(maxsize=64)
def _personal(event_type: type[Event], fields: frozenset[str]) -> TypeAdapter[dict[int, Any]]:
    """A validator for {person id: {field: value}} with exactly `fields`, typed as the event types them."""
    unknown = sorted(f for f in fields if f not in event_type.model_fields or f == "type")
    if unknown:
        raise PersonalFieldError(f"{event_type.__name__} has no personal field(s) {unknown}")
    annotations = {name: event_type.model_fields[name].annotation for name in sorted(fields)}
    values = with_config(ConfigDict(extra="forbid"))(TypedDict(f"{event_type.__name__}Own", annotations))  # type: ignore[operator]
    return TypeAdapter(dict[int, values])  # type: ignore[valid-type]


def announce(event: Event, *, area_code: str) -> None:
    """Push an ephemeral event after commit to the dashboards that cover `area_code`."""
    body, key = event.body(), event.coalesce_key()
    transaction.on_commit(lambda: transport.announce(body=body, area_code=area_code, key=key))


def close_sockets_of(user_ids: list[int]) -> None:
    """Close every live socket of these logins in every process: their access was withdrawn (call after commit)."""
    transport.withdraw(user_ids=user_ids)
