"""/api/v1/alerts: raise, watch, answer, escalate, cancel and close alerts; CAP 1.2 in and out; reports."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from ninja.responses import Status

from core.auth import actor_of
from core.endpoints import errors
from core.errors import InvalidInput, ZhengqiError
from core.exports import XLSX
from core.pagination import paginate, paginate_rows
from core.roles import Capability
from core.schemas import Page
from core.services.audit import export_audit
from dispatch import cap, reports
from dispatch.cap_export import alert_as_cap
from dispatch.models import Alert, ResponseState
from dispatch.preview import alert_recipients_preview
from dispatch.schemas import (
    AlertFilter,
    AlertIn,
    AlertOut,
    AlertPatch,
    BoardOut,
    CancelIn,
    PreviewOut,
    ReportFilter,
    ReportOut,
    ReportPageFilter,
    ResponseIn,
    ResponseOut,
    StatsOut,
)
from dispatch.selectors import (
    alert_board,
    alert_for_request,
    alert_get,
    alert_list,
    deliveries_sent,
    delivery_counts,
    response_counts,
)
from dispatch.services.alerts import Targets, alert_cancel, alert_close, alert_create, alert_update
from dispatch.services.cap_import import cap_import
from dispatch.services.escalation import alert_escalate_now
from dispatch.services.responses import delivery_read, response_record

router = Router(tags=["alerts"])


def _out(alert: Alert, *, detail: bool = False) -> AlertOut:
    deliveries = delivery_counts(alert=alert)
    return AlertOut.build(
        alert,
        recipients=deliveries["sent"],
        deliveries=deliveries if detail else None,
        responses=response_counts(alert=alert) if detail else None,
    )


def _checked_fields(payload: AlertIn) -> dict[str, Any]:
    """What raising an alert and previewing it both check (the same body, the same errors)."""
    return {
        "kind": payload.kind.value,
        "severity": payload.severity.value,
        "title": payload.title,
        "lat": payload.lat,
        "lon": payload.lon,
        "datum": payload.datum,
        "radius_m": payload.radius_m,
        "needed": payload.needed,
        "targets": _targets(payload),
        "expires_at": payload.expires_at,
    }


def _targets(payload: AlertIn) -> Targets:
    return Targets(
        area_codes=tuple(payload.area_codes),
        team_ids=tuple(payload.team_ids),
        sectors=tuple(payload.sectors),
        roles=tuple(payload.roles),
        on_shift=payload.on_shift,
    )


# An Idempotency-Key: what clients generate (a UUID, a ULID...), printable ASCII without spaces.
_REQUEST_KEY = re.compile(r"[!-~]{1,64}")


@router.post("", response={201: AlertOut, **errors(401, 403, 404, 422)})
def create(request: HttpRequest, payload: AlertIn) -> Status[AlertOut]:
    """Raise an alert. A retry carrying the first POST's `Idempotency-Key` gets that alert back (201, the
    same body) instead of ringing everyone again: the answer to the first may have been lost."""
    actor = actor_of(request)
    key = request.headers.get("Idempotency-Key", "")
    if key and not _REQUEST_KEY.fullmatch(key):
        raise InvalidInput(
            _("The Idempotency-Key header must be 1 to 64 printable ASCII characters."),
            code="invalid_idempotency_key",
        )
    try:
        alert = alert_create(
            actor=actor,
            request_key=key,
            description=payload.description,
            instruction=payload.instruction,
            **_checked_fields(payload),
        )
    except IntegrityError:
        # The same key's first POST committed while this one was being written: that alert is the answer.
        earlier = alert_for_request(actor=actor, request_key=key) if key else None
        if earlier is None:
            raise
        alert = earlier
    return Status(201, _raised(alert))


def _raised(alert: Alert) -> AlertOut:
    """A new alert as it was raised: every delivery sent, none acknowledged or answered yet.

    Not `_out`'s counts: they are queries over every delivery (and each one's stream),
    run while this process is fanning the alert out to its sockets.
    """
    sent = deliveries_sent(alert=alert)
    return AlertOut.build(
        alert,
        recipients=sent,
        deliveries={"sent": sent, "delivered": 0, "read": 0},
        responses=dict.fromkeys(ResponseState.values, 0),
    )


@router.post("/preview", response={200: PreviewOut, **errors(401, 403, 404, 422)})
def preview(request: HttpRequest, payload: AlertIn) -> PreviewOut:
    """How many people this alert would ring if raised now: same body, checks and errors as raising it; no writes."""
    count = alert_recipients_preview(actor=actor_of(request), **_checked_fields(payload))
    return PreviewOut(recipients=count)


@router.get("", response={200: Page[AlertOut], **errors(401, 422)})
def alerts(request: HttpRequest, filters: Query[AlertFilter]) -> dict[str, Any]:
    found = alert_list(
        actor=actor_of(request),
        status=filters.status,
        kind=filters.kind,
        area=filters.area,
        since=filters.since,
        until=filters.until,
    )
    items, count = paginate(found, filters)
    return {"items": [_out(a) for a in items], "count": count}


@router.get("/{int:alert_id}", response={200: AlertOut, **errors(401, 404)})
def detail(request: HttpRequest, alert_id: int) -> AlertOut:
    return _out(alert_get(actor=actor_of(request), alert_id=alert_id), detail=True)


@router.patch("/{int:alert_id}", response={200: AlertOut, **errors(401, 404, 409, 422)})
def update(request: HttpRequest, alert_id: int, payload: AlertPatch) -> AlertOut:
    changes = payload.model_dump(exclude_unset=True, mode="json")
    changes.pop("expires_at", None)
    if "expires_at" in payload.model_fields_set:
        changes["expires_at"] = payload.expires_at
    alert = alert_update(actor=actor_of(request), alert_id=alert_id, **changes)
    return _out(alert, detail=True)


@router.post("/{int:alert_id}/cancel", response={200: AlertOut, **errors(401, 404, 409, 422)})
def cancel(request: HttpRequest, alert_id: int, payload: CancelIn | None = None) -> AlertOut:
    alert = alert_cancel(actor=actor_of(request), alert_id=alert_id, reason=payload.reason if payload else "")
    return _out(alert, detail=True)


@router.post("/{int:alert_id}/close", response={200: AlertOut, **errors(401, 404, 409)})
def close(request: HttpRequest, alert_id: int) -> AlertOut:
    return _out(alert_close(actor=actor_of(request), alert_id=alert_id), detail=True)


@router.post("/{int:alert_id}/escalate", response={200: AlertOut, **errors(401, 404, 409)})
def escalate(request: HttpRequest, alert_id: int) -> AlertOut:
    return _out(alert_escalate_now(actor=actor_of(request), alert_id=alert_id), detail=True)


@router.post("/{int:alert_id}/responses", response={200: ResponseOut, **errors(401, 403, 404, 409, 422)})
def respond(request: HttpRequest, alert_id: int, payload: ResponseIn) -> ResponseOut:
    response = response_record(actor=actor_of(request), alert_id=alert_id, state=payload.state.value)
    return ResponseOut(
        alert_id=alert_id,
        state=payload.state,
        accepted_at=response.accepted_at,
        declined_at=response.declined_at,
        en_route_at=response.en_route_at,
        on_scene_at=response.on_scene_at,
        done_at=response.done_at,
    )


@router.post("/{int:alert_id}/read", response={204: None, **errors(401, 403, 404)})
def read(request: HttpRequest, alert_id: int) -> Status[None]:
    """The recipient saw the alert's full screen. Idempotent: the first time is kept; any status of the alert."""
    delivery_read(actor=actor_of(request), alert_id=alert_id)
    return Status(204, None)


@router.get("/{int:alert_id}/board", response={200: BoardOut, **errors(401, 404)})
def board(request: HttpRequest, alert_id: int) -> BoardOut:
    return BoardOut.build(alert_board(actor=actor_of(request), alert_id=alert_id))


@router.get(
    "/{int:alert_id}/cap",
    response={200: None, **errors(401, 404)},
    openapi_extra={"responses": {200: {"description": "CAP 1.2", "content": {"application/cap+xml": {}}}}},
)
def cap_export(request: HttpRequest, alert_id: int) -> HttpResponse:
    document = alert_as_cap(alert_get(actor=actor_of(request), alert_id=alert_id))
    return HttpResponse(document, content_type="application/cap+xml; charset=utf-8")


@router.post(
    "/cap",
    response={200: AlertOut, 201: AlertOut, **errors(401, 403, 404, 409, 413, 415, 422)},
    openapi_extra={
        "requestBody": {"required": True, "content": {t: {"schema": {"type": "string"}} for t in cap.CONTENT_TYPES}}
    },
)
def cap_in(request: HttpRequest) -> Status[AlertOut]:
    """A CAP 1.2 document as the body: an Alert → 201 with the new alert; Update/Cancel → 200 with the changed one."""
    if not request.body:
        raise InvalidInput(_("The body is empty."), code="cap_malformed")
    content_type = request.content_type or ""
    if content_type not in cap.CONTENT_TYPES:
        raise _UnsupportedMediaType(details={"content_type": content_type, "accepted": list(cap.CONTENT_TYPES)})
    result = cap_import(actor=actor_of(request), data=request.body)
    return Status(201 if result.created else 200, _out(result.alert, detail=True))


class _UnsupportedMediaType(ZhengqiError):
    status = 415
    code = "unsupported_media_type"
    default_message = _("Send the CAP document as application/cap+xml or application/xml.")


@router.get("/reports/response-times", response={200: ReportOut, **errors(401, 403, 422)})
def report(request: HttpRequest, filters: Query[ReportPageFilter]) -> ReportOut:
    rows = reports.response_times(
        actor=actor_of(request), since=filters.since, until=filters.until, level=filters.level
    )
    page, count = paginate_rows(rows, filters)
    return ReportOut(
        since=filters.since,
        until=filters.until,
        level=filters.level,
        items=[StatsOut.build(r) for r in page],
        count=count,
    )


def _report_download(request: HttpRequest, filters: ReportFilter, fmt: str) -> HttpResponse:
    """Every group of the report as a file; each download is audited as an export."""
    actor = actor_of(request)
    rows = reports.response_times(actor=actor, since=filters.since, until=filters.until, level=filters.level)
    export_audit(
        actor=actor,
        capability=Capability.VIEW_PEOPLE,  # what the report itself requires
        object_type="alert_report",
        area=None,
        fmt=fmt,
        details={"since": filters.since.isoformat(), "until": filters.until.isoformat(), "rows": len(rows)},
    )
    if fmt == "csv":
        response = HttpResponse(reports.as_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(reports.as_xlsx(rows), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="response-times.{fmt}"'
    return response


@router.get(
    "/reports/response-times.csv",
    response={200: None, **errors(401, 403, 422)},
    openapi_extra={"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}},
)
def report_csv(request: HttpRequest, filters: Query[ReportFilter]) -> HttpResponse:
    return _report_download(request, filters, "csv")


@router.get(
    "/reports/response-times.xlsx",
    response={200: None, **errors(401, 403, 422)},
    openapi_extra={"responses": {200: {"description": "XLSX", "content": {XLSX: {}}}}},
)
def report_xlsx(request: HttpRequest, filters: Query[ReportFilter]) -> HttpResponse:
    """The CSV's rows as an Excel workbook, titled in the caller's language (the export is audited)."""
    return _report_download(request, filters, "xlsx")
