"""Alerts, who they were delivered to, and how each recipient responded."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Area, AreaLevel, Person

MAX_RADIUS_M = 50_000


class AlertKind(models.TextChoices):
    VIOLENT_CRIME = "violent_crime", _("Violent crime in progress")
    FLOOD_RESCUE = "flood_rescue", _("Flood / water rescue")
    INJURED_PERSON = "injured_person", _("Injured person")
    MISSING_PERSON = "missing_person", _("Missing person")
    FIRE = "fire", _("Fire")
    TRAFFIC_ACCIDENT = "traffic_accident", _("Traffic accident")
    NATURAL_HAZARD = "natural_hazard", _("Weather or natural hazard")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    """CAP 1.2's severity scale, so import and export map one to one."""

    EXTREME = "extreme", _("Extreme")
    SEVERE = "severe", _("Severe")
    MODERATE = "moderate", _("Moderate")
    MINOR = "minor", _("Minor")
    UNKNOWN = "unknown", _("Unknown")


class AlertStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")
    CLOSED = "closed", _("Closed")


class AlertSource(models.TextChoices):
    API = "api", _("Raised here")
    CAP = "cap", _("Imported from CAP")


class Alert(models.Model):
    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    instruction = models.TextField(blank=True, default="")
    # Where it happens (WGS-84); a filter alert may have no point.
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    # Current radius (widened by escalation) and the one it was raised with; null for filter alerts.
    radius_m = models.PositiveIntegerField(null=True, blank=True)
    initial_radius_m = models.PositiveIntegerField(null=True, blank=True)
    needed = models.PositiveIntegerField(default=1)
    # The area it belongs to (scoping of lists, boards, reports and dashboards).
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="alerts")
    # The level of the grant it was raised under: escalation notifies the level above.
    raised_level = models.CharField(max_length=16, choices=AreaLevel.choices)
    target_area_codes = models.JSONField(default=list, blank=True)
    target_team_ids = models.JSONField(default=list, blank=True)
    target_sectors = models.JSONField(default=list, blank=True)
    target_roles = models.JSONField(default=list, blank=True)
    # Only liaisons whose shift covers the moment of each wave ("riders on shift now").
    target_on_shift = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.ACTIVE)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    # Escalation is driven from these columns, so it survives restarts: the job
    # claims step N by `UPDATE ... WHERE escalation_step = N AND escalate_at <= now`.
    escalation_step = models.PositiveIntegerField(default=0)
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalated_to_level = models.CharField(max_length=16, blank=True, default="")
    # Filled in by the first matching response (reports read these).
    first_accepted_at = models.DateTimeField(null=True, blank=True)
    first_on_scene_at = models.DateTimeField(null=True, blank=True)
    # CAP identity: ours for alerts raised here, the sender's for imported ones.
    source = models.CharField(max_length=8, choices=AlertSource.choices, default=AlertSource.API)
    cap_sender = models.CharField(max_length=200, blank=True, default="")
    cap_identifier = models.CharField(max_length=200, blank=True, default="")
    cap_sent = models.DateTimeField(null=True, blank=True)
    # Every CAP <info> language block: [{"language", "event", "headline", "description", "instruction"}].
    languages = models.JSONField(default=list, blank=True)
    # The client's Idempotency-Key for the POST that raised it: the same key from the same user again
    # (a retry after a lost answer) gets this alert back instead of ringing everyone a second time.
    request_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "escalate_at"], name="alert_escalation_due"),
            models.Index(fields=["area"], name="alert_area_like", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["cap_sender", "cap_identifier"],
                condition=~models.Q(cap_identifier=""),
                name="alert_unique_cap_identity",
            ),
            models.UniqueConstraint(
                fields=["created_by", "request_key"],
                condition=~models.Q(request_key=""),
                name="alert_unique_request_key",
            ),
            models.CheckConstraint(condition=models.Q(radius_m__lte=MAX_RADIUS_M), name="alert_radius_max"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.pk})"


class Delivery(models.Model):
    """An alert sent to one person: the durable event's sequence number, how far away they were, when they read it."""

    # No database-level foreign keys on this per-recipient table (see realtime.models.StreamEvent):
    # PostgreSQL checks a deferred foreign key with one trigger call per row at commit, ~12 ms
    # per constraint for an alert to 2,000 people, on the path where phones wait to ring.
    # The references hold by construction (the alert is written first in the same transaction,
    # the people were read in it) and Django's on_delete cascades deletes as before.
    # (The unique (alert, person) index serves lookups by alert: no index of its own.)
    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, related_name="deliveries", db_constraint=False, db_index=False
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="alert_deliveries", db_constraint=False)
    # 0 for the first wave; N for the wave added by escalation step N.
    wave = models.PositiveIntegerField(default=0)
    distance_m = models.FloatField(null=True, blank=True)
    bearing_deg = models.FloatField(null=True, blank=True)
    # The person's stream sequence number of the alert.created event; delivered once the phone acks it.
    seq = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the recipient first saw the alert's full screen (POST .../read), or first responded,
    # which implies it. Delivered (acked) means the phone has it; read means a person looked.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["alert_id", "distance_m", "id"]
        constraints = [models.UniqueConstraint(fields=["alert", "person"], name="delivery_unique_person")]


class ResponseState(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EN_ROUTE = "en_route", _("En route")
    ON_SCENE = "on_scene", _("On scene")
    DONE = "done", _("Done")


class Response(models.Model):
    """A recipient's answer; its state moves along dispatch.responses.TRANSITIONS, each step time-stamped."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="responses")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="alert_responses")
    state = models.CharField(max_length=16, choices=ResponseState.choices)
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["alert_id", "id"]
        constraints = [models.UniqueConstraint(fields=["alert", "person"], name="response_unique_person")]


class CapRecord(models.Model):
    """Every CAP message imported into an alert, so a later Update or Cancel finds what it references."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="cap_records")
    sender = models.CharField(max_length=200)
    identifier = models.CharField(max_length=200)
    sent = models.DateTimeField()
    msg_type = models.CharField(max_length=16)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["alert_id", "sent", "id"]
        constraints = [models.UniqueConstraint(fields=["sender", "identifier"], name="caprecord_unique_message")]
