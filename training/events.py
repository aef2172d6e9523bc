"""Typed real-time events of trainings and meetings (published by training.services only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from realtime.events import Event
from training.models import Session


class SessionHead(BaseModel):
    """The fields every shape of a session starts with, defined once: the API's list item
    (SessionItem), "my sessions" (MySessionOut) and detail (SessionOut), and the events' brief."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    kind: str
    title: str
    start: datetime
    end: datetime
    mode: str
    status: str
    host_area_code: str

    @staticmethod
    def fields_of(session: Session) -> dict[str, Any]:
        return {
            "id": session.pk,
            "kind": session.kind,
            "title": session.title,
            "start": session.start,
            "end": session.end,
            "mode": session.mode,
            "status": session.status,
            "host_area_code": session.host_area_id,
        }


class SessionBrief(SessionHead):
    """A session as events carry it: the head and the iCalendar sequence (it rises with each change)."""

    sequence: int

    @staticmethod
    def brief_fields(session: Session) -> dict[str, Any]:
        return {**SessionHead.fields_of(session), "sequence": session.sequence}

    @staticmethod
    def of(session: Session) -> SessionBrief:
        return SessionBrief(**SessionBrief.brief_fields(session))


class SessionInvited(Event):
    type: Literal["session.invited"] = "session.invited"
    session: SessionBrief


class SessionChanged(Event):
    type: Literal["session.changed"] = "session.changed"
    session: SessionBrief
    fields: list[str]


class SessionCancelled(Event):
    type: Literal["session.cancelled"] = "session.cancelled"
    session: SessionBrief
    reason: str


class SessionReminder(Event):
    type: Literal["session.reminder"] = "session.reminder"
    session: SessionBrief
    minutes_before: int


class SessionStarting(Event):
    type: Literal["session.starting"] = "session.starting"
    session: SessionBrief


class LeaveDecided(Event):
    """To the person who asked for leave: it was approved (they are excused) or rejected."""

    type: Literal["session.leave_decided"] = "session.leave_decided"
    session: SessionBrief
    approved: bool


class SessionRelayed(Event):
    """To a unit's coordinators: this session was passed down to you; confirm receipt."""

    type: Literal["session.relayed"] = "session.relayed"
    session: SessionBrief
    area_code: str
    deadline: datetime | None
    at: datetime  # when it was passed down (a closed dashboard lists it from its replay)


class RelayConfirmed(Event):
    """Ephemeral, to the host's dashboard: a unit confirmed receipt."""

    type: Literal["session.relay_confirmed"] = "session.relay_confirmed"
    session_id: int
    area_code: str
    confirmed: int
    pending: int


class RelayOverdue(Event):
    """To a superior: these units below you did not confirm receipt by the deadline."""

    type: Literal["session.relay_overdue"] = "session.relay_overdue"
    session: SessionBrief
    area_codes: list[str]
    at: datetime  # when the deadline was found missed


class AttendanceCounter(Event):
    """Ephemeral, to the host's dashboard: the live counts by status."""

    type: Literal["session.attendance"] = "session.attendance"
    session_id: int
    counts: dict[str, int]
