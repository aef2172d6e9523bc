"""Trainings and meetings: /sessions..., /me/sessions, /me/calendar and the private calendar feed."""

from __future__ import annotations

from functools import reduce
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Status

from core.auth import actor_of
from core.endpoints import errors
from core.errors import NotFound
from core.exports import XLSX
from core.jurisdiction import shared_prefix
from core.models import AuditAction
from core.pagination import paginate, paginate_rows
from core.schemas import Page, PageParams
from core.services.audit import audit_record
from training import codes, ical, reports, selectors
from training.schemas import (
    AnnualParams,
    AnnualRowOut,
    AttendanceCountsOut,
    AttendeeFilter,
    AttendeeOut,
    CalendarOut,
    CancelIn,
    CheckinCodeOut,
    CheckinIn,
    CheckinOut,
    DecisionIn,
    LeaveIn,
    LeaveOut,
    MarkIn,
    MySessionOut,
    RelayConfirmIn,
    RelayOut,
    RelayParams,
    ReportParams,
    ReportRowOut,
    SessionIn,
    SessionItem,
    SessionOut,
    SessionPatch,
    counts_out,
)
from training.services import attendance, calendars, relays, sessions

router = Router(tags=["sessions"])


def _out(request: HttpRequest, session_id: int) -> SessionOut:
    """The session as the caller may see it; reading venue contacts' phones unmasked is audited."""
    actor = actor_of(request)
    session = selectors.session_get(actor=actor, session_id=session_id)
    seen = selectors.venues_seen(actor=actor, sessions=[session])[session.pk]
    revealed = selectors.venue_contacts_revealed(actor=actor, venues=seen.venues)
    if revealed:
        audit_record(
            actor=actor,
            action=AuditAction.PERSONAL_DATA_READ,
            object_type="venue_list",
            object_id=session.pk,
            # The narrowest area covering every revealed contact, so the entry is visible to their staff.
            area_code=reduce(shared_prefix, [v.area_id for v in revealed]),
            details={"fields": ["contact_phone"], "venue_ids": [v.pk for v in revealed]},
        )
    return SessionOut.build(
        session,
        invitees=selectors.invitations_seen(actor=actor, session=session),
        venues=seen.venues,
        own_venue=seen.own,
        revealed={v.pk for v in revealed},
    )


@router.post("/sessions", response={201: SessionOut, **errors(401, 403, 404, 422)})
def create(request: HttpRequest, payload: SessionIn) -> Status[SessionOut]:
    data = payload.model_dump(exclude={"venues"})
    session = sessions.session_create(actor=actor_of(request), venues=payload.venues, **data)
    return Status(201, _out(request, session.pk))


@router.get("/sessions", response={200: Page[SessionItem], **errors(401, 422)})
def managed(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    items, count = paginate(selectors.session_list(actor=actor_of(request)), params)
    return {"items": [SessionItem.build(s) for s in items], "count": count}


@router.get("/me/sessions", response={200: Page[MySessionOut], **errors(401, 422)})
def mine(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    items, count = paginate(selectors.my_sessions(actor=actor_of(request)), params)
    return {"items": [MySessionOut.of(a) for a in items], "count": count}


@router.get("/sessions/{int:session_id}", response={200: SessionOut, **errors(401, 404)})
def detail(request: HttpRequest, session_id: int) -> SessionOut:
    return _out(request, session_id)


@router.patch("/sessions/{int:session_id}", response={200: SessionOut, **errors(401, 404, 409, 422)})
def update(request: HttpRequest, session_id: int, payload: SessionPatch) -> SessionOut:
    sessions.session_update(actor=actor_of(request), session_id=session_id, **payload.model_dump(exclude_unset=True))
    return _out(request, session_id)


@router.post("/sessions/{int:session_id}/cancel", response={200: SessionOut, **errors(401, 404, 409, 422)})
def cancel(request: HttpRequest, session_id: int, payload: CancelIn) -> SessionOut:
    sessions.session_cancel(actor=actor_of(request), session_id=session_id, reason=payload.reason)
    return _out(request, session_id)


@router.post("/sessions/{int:session_id}/start", response={200: SessionOut, **errors(401, 404, 409)})
def start(request: HttpRequest, session_id: int) -> SessionOut:
    sessions.session_start(actor=actor_of(request), session_id=session_id)
    return _out(request, session_id)


@router.get("/sessions/{int:session_id}/relays", response={200: Page[RelayOut], **errors(401, 404, 422)})
def relay_list(request: HttpRequest, session_id: int, params: Query[RelayParams]) -> dict[str, Any]:
    session = selectors.session_get(actor=actor_of(request), session_id=session_id)
    found = selectors.relays_of(actor=actor_of(request), session=session).select_related("parent")
    items, count = paginate(found, params)
    return {"items": [RelayOut.build(r) for r in items], "count": count}


@router.post(
    "/sessions/{int:session_id}/relays/{area_code}/confirm", response={200: RelayOut, **errors(401, 403, 404, 409, 422)}
)
def relay_confirm(request: HttpRequest, session_id: int, area_code: str, payload: RelayConfirmIn) -> RelayOut:
    relay = relays.relay_confirm(
        actor=actor_of(request), session_id=session_id, area_code=area_code, venues=payload.venues
    )
    return RelayOut.build(relay)


@router.get("/sessions/{int:session_id}/checkin-code", response={200: CheckinCodeOut, **errors(401, 404)})
def checkin_code(request: HttpRequest, session_id: int) -> CheckinCodeOut:
    code, valid_until = selectors.checkin_code(actor=actor_of(request), session_id=session_id, now=timezone.now())
    return CheckinCodeOut(code=code, valid_until=valid_until, qr_svg=codes.qr_data_url(codes.qr_text(session_id, code)))


@router.post("/sessions/{int:session_id}/checkin", response={200: CheckinOut, **errors(401, 403, 404, 409, 422, 429)})
def checkin(request: HttpRequest, session_id: int, payload: CheckinIn) -> CheckinOut:
    done = attendance.checkin(actor=actor_of(request), session_id=session_id, **payload.model_dump())
    return CheckinOut.build(done)


@router.get("/sessions/{int:session_id}/attendance", response={200: AttendanceCountsOut, **errors(401, 404)})
def attendance_counts(request: HttpRequest, session_id: int) -> AttendanceCountsOut:
    session = selectors.session_get(actor=actor_of(request), session_id=session_id)
    return counts_out(session_id, selectors.attendance_scoped(actor=actor_of(request), session=session))


@router.get("/sessions/{int:session_id}/attendees", response={200: Page[AttendeeOut], **errors(401, 404, 422)})
def attendees(request: HttpRequest, session_id: int, filters: Query[AttendeeFilter]) -> dict[str, Any]:
    session = selectors.session_get(actor=actor_of(request), session_id=session_id)
    found = selectors.attendance_list(actor=actor_of(request), session=session, status=filters.status)
    items, count = paginate(found, filters)
    return {"items": [AttendeeOut.build(a) for a in items], "count": count}


@router.put(
    "/sessions/{int:session_id}/attendance/{int:person_id}", response={200: AttendeeOut, **errors(401, 404, 409, 422)}
)
def mark(request: HttpRequest, session_id: int, person_id: int, payload: MarkIn) -> AttendeeOut:
    done = attendance.attendance_mark(
        actor=actor_of(request), session_id=session_id, person_id=person_id, status=payload.status, note=payload.note
    )
    return AttendeeOut.build(done)


@router.post("/sessions/{int:session_id}/leave", response={201: LeaveOut, **errors(401, 403, 404, 409, 422)})
def leave(request: HttpRequest, session_id: int, payload: LeaveIn) -> Status[LeaveOut]:
    return Status(
        201,
        LeaveOut.build(attendance.leave_request(actor=actor_of(request), session_id=session_id, reason=payload.reason)),
    )


@router.get("/sessions/{int:session_id}/leave", response={200: Page[LeaveOut], **errors(401, 404, 422)})
def leave_list(request: HttpRequest, session_id: int, params: Query[PageParams]) -> dict[str, Any]:
    session = selectors.session_get(actor=actor_of(request), session_id=session_id)
    items, count = paginate(selectors.leave_list(actor=actor_of(request), session=session), params)
    return {"items": [LeaveOut.build(x) for x in items], "count": count}


@router.post(
    "/sessions/{int:session_id}/leave/{int:leave_id}/decision", response={200: LeaveOut, **errors(401, 404, 409, 422)}
)
def leave_decision(request: HttpRequest, session_id: int, leave_id: int, payload: DecisionIn) -> LeaveOut:
    decided = attendance.leave_decide(
        actor=actor_of(request), session_id=session_id, leave_id=leave_id, approve=payload.approve
    )
    return LeaveOut.build(decided)


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.get("/sessions/{int:session_id}/ics", response=errors(401, 403, 404))
def session_ics(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session as an iCalendar file (text/calendar), with the venues the caller may see; the location is theirs."""
    actor = actor_of(request)
    session = selectors.session_get(actor=actor, session_id=session_id)
    venues = selectors.venues_seen(actor=actor, sessions=[session])
    return _ics(ical.calendar_of([session], venues=venues, name=session.title), f"session-{session_id}.ics")


@router.post("/me/calendar", response={201: CalendarOut, **errors(401, 403)})
def calendar_issue(request: HttpRequest) -> Status[CalendarOut]:
    """A new private feed URL; the previous one stops working. Keep it secret: it needs no login."""
    raw = calendars.calendar_feed_issue(actor=actor_of(request))
    return Status(201, CalendarOut(url=request.build_absolute_uri(f"/api/v1/calendar/{raw}.ics")))


@router.delete("/me/calendar", response={204: None, **errors(401, 403)})
def calendar_revoke(request: HttpRequest) -> Status[None]:
    calendars.calendar_feed_revoke(actor=actor_of(request))
    return Status(204, None)


@router.get("/calendar/{token}.ics", auth=None, response=errors(404))
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A person's sessions as an iCalendar feed, at their private URL (no login: the token is the key)."""
    found = ical.feed_sessions(raw_token=token)
    if found is None:
        raise NotFound()
    person_id, sessions = found
    venues = selectors.venues_of_invitee(person_id=person_id, sessions=sessions)
    return _ics(ical.calendar_of(sessions, venues=venues, name="Zhengqi"), "zhengqi.ics")


def _export(rows: list[reports.Row], fmt: str, name: str) -> HttpResponse:
    if fmt == "csv":
        response = HttpResponse(reports.to_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(reports.to_xlsx(rows, title=name), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@router.get(
    "/sessions/reports/attendance",
    response={200: Page[ReportRowOut], **errors(401, 403, 404, 422)},
    openapi_extra={"responses": {200: {"content": {"text/csv": {}, XLSX: {}}}}},  # ?format=csv|xlsx
)
def report(request: HttpRequest, params: Query[ReportParams]) -> Any:
    """Attendance rates by person, team, sector or area; `by=rollup` gives townships, counties and the city.
    `format=csv|xlsx` downloads every row (the export is audited; `limit`/`offset` page the JSON only)."""
    since, until = reports.day_start(params.since), reports.day_start(params.until)
    actor = actor_of(request)
    if params.by == "rollup":
        rows = reports.attendance_rollup(actor=actor, since=since, until=until, area=params.area)
    else:
        rows = reports.attendance_report(actor=actor, group=params.by, since=since, until=until, area=params.area)
    if params.format == "json":
        page, count = paginate_rows(rows, params)
        return {"items": [r.as_dict() for r in page], "count": count}
    reports.export_audit(
        actor=actor,
        by=params.by,
        since=params.since,
        until=params.until,
        area=params.area,
        fmt=params.format,
        rows=len(rows),
    )
    return _export(rows, params.format, f"attendance-{params.by}-{params.since}-{params.until}")


@router.get("/sessions/reports/annual", response={200: Page[AnnualRowOut], **errors(401, 403, 422)})
def annual(request: HttpRequest, params: Query[AnnualParams]) -> dict[str, Any]:
    """The year per county: counts, rate, sessions, and the rate of each month."""
    rows = reports.annual_by_county(
        actor=actor_of(request),
        since=reports.day_start(reports.date(params.year, 1, 1)),
        until=reports.day_start(reports.date(params.year + 1, 1, 1)),
    )
    items, count = paginate_rows(rows, params)
    return {"items": items, "count": count}
