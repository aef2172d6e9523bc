"""Typed real-time events of dispatch (published by dispatch's services only)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from realtime.events import Event


class NavLinks(Event):
    """Navigation links in each provider's own datum (Amap: GCJ-02, Baidu: BD-09)."""

    type: Literal["nav"] = "nav"
    amap: str
    baidu: str


class AlertCreated(Event):
    """Durable, to each recipient: how far and which way from them, their own copy.

    `distance_m` (metres, 0.1 m) and `bearing_deg` (degrees from north, 0.1°) go from
    the recipient's latest fix towards the alert; both null when their position is
    unknown. The same values are on their Delivery.
    """

    type: Literal["alert.created"] = "alert.created"
    alert_id: int
    kind: str
    severity: str
    title: str
    description: str
    lat: float | None
    lon: float | None
    radius_m: int | None
    needed: int
    expires_at: datetime | None
    distance_m: float | None
    bearing_deg: float | None
    wave: int
    nav: NavLinks | None


class AlertUpdated(Event):
    type: Literal["alert.updated"] = "alert.updated"
    alert_id: int
    version: int
    title: str
    description: str
    severity: str
    needed: int
    expires_at: datetime | None


class AlertCancelled(Event):
    type: Literal["alert.cancelled"] = "alert.cancelled"
    alert_id: int
    reason: str


class AlertClosed(Event):
    type: Literal["alert.closed"] = "alert.closed"
    alert_id: int


class AlertProgress(Event):
    """Durable, to every recipient: how many have accepted; `stand_down` once enough have."""

    type: Literal["alert.progress"] = "alert.progress"
    alert_id: int
    accepted: int
    needed: int
    stand_down: bool


class AlertEscalated(Event):
    """Durable, to the next level's coordinators: not enough responders even after widening."""

    type: Literal["alert.escalated"] = "alert.escalated"
    alert_id: int
    title: str
    area_code: str
    accepted: int
    needed: int
    radius_m: int | None
    # When it was escalated: a dashboard that was closed gets this in its replay and lists it as missed.
    at: datetime


class BoardUpdate(Event):
    """Ephemeral, to dashboards covering the alert's area: counts after any change."""

    type: Literal["alert.board"] = "alert.board"
    alert_id: int
    status: str
    radius_m: int | None
    recipients: int
    # Recipients who saw the alert's full screen (or responded, which implies it).
    read: int
    responses: dict[str, int]
    # The person whose response (with its `state`) or read (`state` null) caused this update, if any.
    person_id: int | None = None
    state: str | None = None

    def coalesce_key(self) -> str:
        # Dashboards need only the latest counts of each alert within one update tick.
        return f"alert.board:{self.alert_id}"
