"""Writes and checks behind the sockets: who is saying hello, acks, pruning.

The consumers stay thin: they parse frames and call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from core.errors import Forbidden, Unauthorized
from core.jurisdiction import jurisdiction_for
from core.models import Person
from core.roles import Capability
from core.services.tokens import token_authenticate, token_needs_touch
from core.sql import int_array
from realtime.models import Stream, StreamBody, StreamEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_PRUNE_BATCH = 5000
_CHUNK = 500


@dataclass(frozen=True)
class SocketIdentity:
    user_id: int
    person_id: int | None
    area_code: str  # the person's home area ("" without a person)
    prefixes: tuple[str, ...]  # what a dashboard covers (empty for phones)
    latest_seq: int
    token_to_touch: int | None = None  # the token's id when its last use must be recorded (in the next batch)


def socket_identity(*, token: str, dashboard: bool) -> SocketIdentity:
    """Who is behind a hello's bearer token, and what their socket may receive.

    Phones need a Person (they carry a durable stream). Dashboards need a role
    that lets them view people somewhere; they cover exactly that jurisdiction.
    """
    # The token's `last_used_at` is written by the hub in a batch, not here:
    # the hello stays a read (no write and commit per phone in a reconnect storm).
    found = token_authenticate(token, touch=False)
    if found is None:
        raise Unauthorized()
    user = found.user
    mine = Person.objects.filter(user_id=user.pk, is_active=True)
    person = mine.values_list("pk", "home_area_id", "stream__last_seq").first()
    prefixes: tuple[str, ...] = ()
    if dashboard:
        prefixes = jurisdiction_for(user, Capability.VIEW_PEOPLE).prefixes
        if not prefixes:
            raise Forbidden()
    elif person is None:
        raise Forbidden()
    person_id, area_code, last_seq = person if person is not None else (None, "", 0)
    return SocketIdentity(
        user_id=user.pk,
        person_id=person_id,
        area_code=area_code,
        prefixes=prefixes,
        latest_seq=last_seq or 0,
        token_to_touch=found.pk if token_needs_touch(found, now=timezone.now()) else None,
    )


def socket_user(*, user_id: int) -> User:
    """The login behind a socket, for services that take an actor (loaded once per socket)."""
    user: User = get_user_model().objects.get(pk=user_id)
    return user


@transaction.atomic
def acks_record(*, acks: dict[int, int]) -> None:
    """Mark each person's stream delivered up to the acked seq (never backwards, never past what exists).

    One statement per chunk rather than one per person: each server process
    sends its acks here once a second, thousands at a time.
    """
    table = Stream._meta.db_table
    pairs = sorted(acks.items())
    set_acked = (
        f"UPDATE {table} SET acked_seq = CASE WHEN v.seq > {table}.last_seq THEN {table}.last_seq ELSE v.seq END "  # noqa: S608 (no user input)
    )
    where = f"WHERE {table}.person_id = v.person AND {table}.acked_seq < v.seq"
    if connection.vendor == "postgresql":
        # Two array literals: no 2-parameters-per-row statement for the driver to parse (it was
        # ~10 % of a server's CPU while 1,000 phones acked every event).
        with connection.cursor() as cursor:
            cursor.execute(
                f"{set_acked} FROM unnest(%s::bigint[], %s::bigint[]) AS v(person, seq) {where}",
                [int_array(p for p, _ in pairs), int_array(s for _, s in pairs)],
            )
        return
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), _CHUNK):
            chunk = pairs[start : start + _CHUNK]
            rows = ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(
                f"{set_acked} FROM (SELECT column1 AS person, column2 AS seq FROM (VALUES {rows})) AS v {where}",  # noqa: S608
                [value for pair in chunk for value in pair],
            )


def streams_prune(*, older_than: timedelta | None = None) -> int:
    """Delete acknowledged events older than the retention. Returns how many rows went.

    Works in batches so that a large backlog never holds one long lock.
    Unacknowledged events are kept whatever their age: the phone may still
    come back for them.
    """
    cutoff = timezone.now() - (older_than or timedelta(days=settings.STREAM_RETENTION_DAYS))
    removed = 0
    for _batch in range(1_000_000):  # bounded: each batch removes rows or ends the loop
        ids = list(
            StreamEvent.objects.filter(created_at__lt=cutoff)
            .filter(Q(person__stream__acked_seq__gte=F("seq")))
            .values_list("pk", flat=True)[:_PRUNE_BATCH]
        )
        if not ids:
            break
        with transaction.atomic():
            removed += StreamEvent.objects.filter(pk__in=ids).delete()[0]
    _bodies_prune(cutoff=cutoff)
    return removed


def _bodies_prune(*, cutoff: datetime) -> None:
    """Delete event bodies older than `cutoff` that no stored event refers to any more.

    A body is written with its events, in one transaction, so an older body with no event
    will never get one.
    """
    orphans = StreamBody.objects.filter(created_at__lt=cutoff).exclude(
        Exists(StreamEvent.objects.filter(body_id=OuterRef("pk")))
    )
    for _batch in range(1_000_000):  # bounded: each batch removes bodies or ends the loop
        ids = list(orphans.values_list("pk", flat=True)[:_PRUNE_BATCH])
        if not ids:
            break
        StreamBody.objects.filter(pk__in=ids).delete()
