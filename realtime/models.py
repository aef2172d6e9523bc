"""Durable per-person event streams: the database row is the truth, the socket only the fast path."""

from __future__ import annotations

from django.db import models

from core.models import Person


class Stream(models.Model):
    """One per person: the last sequence number handed out, and the last one the phone acknowledged."""

    person = models.OneToOneField(Person, primary_key=True, on_delete=models.CASCADE, related_name="stream")
    last_seq = models.BigIntegerField(default=0)
    acked_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"stream of person {self.person_id} at {self.last_seq} (acked {self.acked_seq})"


class StreamEvent(models.Model):
    """A durable event for one person; `seq` rises by one per person with no gaps."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="stream_events")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=64)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["person", "seq"], name="streamevent_unique_seq")]

    def __str__(self) -> str:
        return f"{self.type} #{self.seq} for person {self.person_id}"
