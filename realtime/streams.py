"""Appending to and reading from durable per-person streams."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from realtime import protocol
from realtime.models import Stream, StreamEvent

_CHUNK = 500


@transaction.atomic
def append(*, person_ids: list[int], type: str, payload: dict[str, Any]) -> dict[int, int]:
    """Give each person the next sequence number and store the event. Returns person id -> seq.

    `UPDATE ... RETURNING` takes each stream's row lock (PostgreSQL) or the
    database write lock (SQLite) until commit, so concurrent publishers to the
    same person get consecutive numbers: no gaps, no repeats.
    """
    if not person_ids:
        return {}
    Stream.objects.bulk_create([Stream(person_id=pid) for pid in person_ids], ignore_conflicts=True)
    table = Stream._meta.db_table
    seqs: dict[int, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(person_ids), _CHUNK):
            chunk = person_ids[start : start + _CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"UPDATE {table} SET last_seq = last_seq + 1 WHERE person_id IN ({marks}) "  # noqa: S608 (no user input)
                "RETURNING person_id, last_seq",
                chunk,
            )
            seqs.update({int(pid): int(seq) for pid, seq in cursor.fetchall()})
    StreamEvent.objects.bulk_create(
        [StreamEvent(person_id=pid, seq=seq, type=type, payload=payload) for pid, seq in seqs.items()],
        batch_size=_CHUNK,
    )
    return seqs


def events_after(*, person_id: int, since: int) -> QuerySet[StreamEvent]:
    return StreamEvent.objects.filter(person_id=person_id, seq__gt=since).order_by("seq")


def latest_seq(*, person_id: int) -> int:
    return Stream.objects.filter(person_id=person_id).values_list("last_seq", flat=True).first() or 0


def frames_after(*, person_id: int, since: int, limit: int) -> list[tuple[int, str]]:
    """Up to `limit` stored events after `since`, in order, as ready-to-send frames."""
    rows = events_after(person_id=person_id, since=since).values_list("seq", "payload")[:limit]
    return [(seq, protocol.durable(seq, protocol.dumps(payload))) for seq, payload in rows]
