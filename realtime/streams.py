"""Appending to and reading from durable per-person streams."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.sql import int_array, text_lines
from realtime import protocol
from realtime.models import Stream, StreamBody, StreamEvent

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
    empty; the person's event is `protocol.with_members(shared, own[person id])`. The shared
    object is stored once (a StreamBody) and each person's row holds only their members.

    Three statements for any number of people (SQLite: the upsert per 500): the body, one
    upsert that hands every stream its next number, one insert of the events. The upsert
    takes each stream's row lock (PostgreSQL, in person order, so two publishers cannot
    deadlock) or the database write lock (SQLite) until commit, so concurrent publishers
    to the same person get consecutive numbers: no gaps, no repeats. A rollback undoes
    all three, so a failed service leaves no gap either.

    The rows are written with SQL rather than `bulk_create`, which would build a model per
    row (most of the time of an alert to 2,000 people). PostgreSQL gets each column as one
    text parameter that it splits into an array itself (core.sql).
    """
    if not own:
        return {}
    person_ids = sorted(own)
    now = timezone.now()
    body = StreamBody.objects.create(text=shared, created_at=now)
    seqs = _next_seqs(person_ids)
    table = StreamEvent._meta.db_table
    stamp = connection.ops.adapt_datetimefield_value(now)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (person_id, seq, type, body_id, members, created_at) "  # noqa: S608 (no user input)
                "SELECT u.p, u.s, %s, %s, substr(u.m, 2), %s "
                "FROM unnest(%s::bigint[], %s::bigint[], string_to_array(%s, E'\\n')) AS u(p, s, m)",
                [
                    type,
                    body.pk,
                    stamp,
                    int_array(person_ids),
                    int_array(seqs[pid] for pid in person_ids),
                    text_lines(own[pid] for pid in person_ids),
                ],
            )
    else:
        rows = [[pid, seqs[pid], own[pid]] for pid in person_ids]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (person_id, seq, type, body_id, members, created_at) "  # noqa: S608 (no user input)
                "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), %s, %s, "
                "json_extract(value, '$[2]'), %s FROM json_each(%s)",
                [type, body.pk, stamp, protocol.dumps(rows)],
            )
    return seqs


def _next_seqs(person_ids: list[int]) -> dict[int, int]:
    """Each person's stream advanced by one (created at 1 if new), in one upsert. `person_ids` sorted, unique."""
    table = Stream._meta.db_table
    upsert = f"ON CONFLICT (person_id) DO UPDATE SET last_seq = {table}.last_seq + 1 RETURNING person_id, last_seq"
    seqs: dict[int, int] = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (person_id, last_seq, acked_seq) "  # noqa: S608 (no user input)
                f"SELECT p, 1, 0 FROM unnest(%s::bigint[]) AS u(p) ORDER BY p {upsert}",
                [int_array(person_ids)],
            )
            seqs.update(cursor.fetchall())
    else:
        with connection.cursor() as cursor:
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
    rows = events_after(person_id=person_id, since=since).values_list("seq", "body__text", "members")[:limit]
    return [(seq, protocol.durable(seq, protocol.with_members(text, members))) for seq, text, members in rows]
