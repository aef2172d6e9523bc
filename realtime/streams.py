"""Appending to and reading from durable per-person streams."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from realtime import protocol
from realtime.models import Stream, StreamEvent

_CHUNK = 500
# Rows per INSERT on SQLite: 5 parameters each, under its historical limit of 999 parameters.
_SQLITE_EVENT_ROWS = 150


@transaction.atomic
def append(*, person_ids: list[int], type: str, payload: dict[str, Any]) -> dict[int, int]:
    """Give each person the next sequence number and store the event. Returns person id -> seq."""
    payload_json = protocol.dumps(payload)
    return append_each(type=type, payloads=dict.fromkeys(person_ids, payload_json))


@transaction.atomic
def append_each(*, type: str, payloads: Mapping[int, str]) -> dict[int, int]:
    """Store one event per person, each with its own payload (JSON text). Returns person id -> seq.

    Two statements for any number of people on PostgreSQL (a few per 500 on SQLite): one
    upsert hands every stream its next number, one insert stores the events. The upsert
    takes each stream's row lock (PostgreSQL, in person order, so two publishers cannot
    deadlock) or the database write lock (SQLite) until commit, so concurrent publishers
    to the same person get consecutive numbers: no gaps, no repeats. A rollback undoes
    both, so a failed service leaves no gap either.

    The rows are written with SQL rather than `bulk_create`: the payloads arrive
    serialised once, and the ORM would build and re-serialise a model per row (the
    larger share of an alert to 2,000 people).
    """
    if not payloads:
        return {}
    person_ids = sorted(payloads)
    seqs = _next_seqs(person_ids)
    now = timezone.now()
    table = StreamEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (person_id, seq, type, payload, created_at) "  # noqa: S608 (no user input)
                "SELECT p, s, %s, j::jsonb, %s FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS u(p, s, j)",
                [type, now, person_ids, [seqs[pid] for pid in person_ids], [payloads[pid] for pid in person_ids]],
            )
        else:
            for start in range(0, len(person_ids), _SQLITE_EVENT_ROWS):
                chunk = person_ids[start : start + _SQLITE_EVENT_ROWS]
                rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
                cursor.execute(
                    f"INSERT INTO {table} (person_id, seq, type, payload, created_at) VALUES {rows}",  # noqa: S608
                    [v for pid in chunk for v in (pid, seqs[pid], type, payloads[pid], now)],
                )
    return seqs


def _next_seqs(person_ids: list[int]) -> dict[int, int]:
    """Each person's stream advanced by one (created at 1 if new), in one upsert. `person_ids` sorted, unique."""
    table = Stream._meta.db_table
    upsert = f"ON CONFLICT (person_id) DO UPDATE SET last_seq = {table}.last_seq + 1 RETURNING person_id, last_seq"
    seqs: dict[int, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (person_id, last_seq, acked_seq) "  # noqa: S608 (no user input)
                f"SELECT p, 1, 0 FROM unnest(%s::bigint[]) AS u(p) ORDER BY p {upsert}",
                [person_ids],
            )
            seqs.update(cursor.fetchall())
        else:
            for start in range(0, len(person_ids), _CHUNK):
                chunk = person_ids[start : start + _CHUNK]
                rows = ", ".join(["(%s, 1, 0)"] * len(chunk))
                cursor.execute(f"INSERT INTO {table} (person_id, last_seq, acked_seq) VALUES {rows} {upsert}", chunk)  # noqa: S608
                seqs.update(cursor.fetchall())
    return {int(pid): int(seq) for pid, seq in seqs.items()}


def events_after(*, person_id: int, since: int) -> QuerySet[StreamEvent]:
    return StreamEvent.objects.filter(person_id=person_id, seq__gt=since).order_by("seq")


def latest_seq(*, person_id: int) -> int:
    return Stream.objects.filter(person_id=person_id).values_list("last_seq", flat=True).first() or 0


def frames_after(*, person_id: int, since: int, limit: int) -> list[tuple[int, str]]:
    """Up to `limit` stored events after `since`, in order, as ready-to-send frames."""
    rows = events_after(person_id=person_id, since=since).values_list("seq", "payload")[:limit]
    return [(seq, protocol.durable(seq, protocol.dumps(payload))) for seq, payload in rows]
