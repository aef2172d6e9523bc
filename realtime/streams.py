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


# No savepoint of its own when the caller's transaction is open (a round trip each way
# per publish); a failure inside still rolls the whole caller back.
@transaction.atomic(savepoint=False)
def append(*, person_ids: list[int], type: str, payload: dict[str, Any]) -> dict[int, int]:
    """Give each person the next sequence number and store the event. Returns person id -> seq."""
    return append_each(type=type, shared=protocol.dumps(payload), own=dict.fromkeys(person_ids, ""))


@transaction.atomic(savepoint=False)
def append_each(*, type: str, shared: str, own: Mapping[int, str]) -> dict[int, int]:
    """Store one event per person: the `shared` JSON object plus their `own` members. Returns person id -> seq.

    `own[person id]` is JSON text of members without braces (`"distance_m":812.4`), possibly
    empty; the stored payload is `protocol.with_members(shared, own[person id])`.

    Two statements for any number of people (SQLite: the upsert per 500): one upsert hands
    every stream its next number, one insert stores the events. The upsert
    takes each stream's row lock (PostgreSQL, in person order, so two publishers cannot
    deadlock) or the database write lock (SQLite) until commit, so concurrent publishers
    to the same person get consecutive numbers: no gaps, no repeats. A rollback undoes
    both, so a failed service leaves no gap either.

    The rows are written with SQL rather than `bulk_create`: the payloads arrive
    serialised once, and the ORM would build and re-serialise a model per row (the
    larger share of an alert to 2,000 people). PostgreSQL is sent the shared part once
    and joins it to each person's members itself.
    """
    if not own:
        return {}
    person_ids = sorted(own)
    seqs = _next_seqs(person_ids)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = StreamEvent._meta.db_table
    # The rows travel as one JSON document, taken apart by the database (a parameter per
    # value would cost more in the driver than the insert, e.g. psycopg escaping a text[]
    # array's quotes one by one).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # `||` of two JSON objects with distinct keys is their union, as with_members builds it.
            rows = ",".join(f'{{"p":{pid},"s":{seqs[pid]},"m":{{{own[pid]}}}}}' for pid in person_ids)
            cursor.execute(
                f"INSERT INTO {table} (person_id, seq, type, payload, created_at) "  # noqa: S608 (no user input)
                "SELECT r.p, r.s, %s, %s::jsonb || r.m, %s "
                "FROM json_to_recordset(%s::json) AS r(p bigint, s bigint, m jsonb)",
                [type, shared, now, f"[{rows}]"],
            )
        else:
            rows = ",".join(f"[{pid},{seqs[pid]},{protocol.with_members(shared, own[pid])}]" for pid in person_ids)
            cursor.execute(
                f"INSERT INTO {table} (person_id, seq, type, payload, created_at) "  # noqa: S608 (no user input)
                "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), %s, json_extract(value, '$[2]'), %s "
                "FROM json_each(%s)",
                [type, now, f"[{rows}]"],
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
