"""Durable per-person event streams: the database row is the truth, the socket only the fast path."""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from core.models import Person


class Stream(models.Model):
    """One per person: the last sequence number handed out, and the last one the phone acknowledged."""

    person = models.OneToOneField(Person, primary_key=True, on_delete=models.CASCADE, related_name="stream")
    last_seq = models.BigIntegerField(default=0)
    acked_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"stream of person {self.person_id} at {self.last_seq} (acked {self.acked_seq})"


class StreamBody(models.Model):
    """What every copy of one publish shares, stored once: the event as compact JSON text.

    An alert to 2,000 people is one body (title, description, navigation links) and 2,000
    small `StreamEvent` rows holding only each person's own fields. Bodies no event
    refers to any more are pruned with the events (realtime.services.streams_prune).
    """

    text = models.TextField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"event body {self.pk}"


class StreamEvent(models.Model):
    """A durable event for one person; `seq` rises by one per person with no gaps.

    The event is its body's JSON object plus `members`, the person's own fields as JSON
    members without braces (`"distance_m":812.4,"bearing_deg":97.1`; empty when the copy
    is the body itself): see `realtime.protocol.with_members`.
    """

    # No database-level foreign keys: an alert writes thousands of these in one transaction,
    # and PostgreSQL checks each row's reference with a trigger call at commit (~12 ms per
    # 2,000 rows per key). Events are only appended after their person's Stream row (which
    # keeps its foreign key) was locked, and with a body written in the same transaction;
    # Django's on_delete still cascades when a person goes, and pruning removes a body
    # only when no event refers to it.
    # The unique (person, seq) index serves every lookup by person: no index of its own.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="stream_events", db_constraint=False, db_index=False
    )
    seq = models.BigIntegerField()
    type = models.CharField(max_length=64)
    body = models.ForeignKey(
        StreamBody, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    members = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["person", "seq"], name="streamevent_unique_seq")]

    def __str__(self) -> str:
        return f"{self.type} #{self.seq} for person {self.person_id}"

    @property
    def payload(self) -> dict[str, Any]:
        """This person's copy of the event, as the phone receives it."""
        from realtime.protocol import with_members

        result: dict[str, Any] = json.loads(with_members(self.body.text, self.members))
        return result
