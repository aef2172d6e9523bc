"""Request and response shapes of /api/v1/alerts (explicit fields)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from core.geo import DATUM_HELP
from core.schemas import AwareTime, PageParams, StrictIn
from dispatch.models import Alert, AlertKind, AlertStatus, ResponseState, Severity
from dispatch.reports import Stats
from dispatch.selectors import Board


class AlertIn(StrictIn):
    kind: AlertKind
    severity: Severity = Severity.SEVERE
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    instruction: str = Field("", max_length=2000)
    # Ranges and datum are checked by the service, so each gets its own error code.
    lat: float | None = None
    lon: float | None = None
    datum: str = Field(
        "wgs84",
        max_length=8,
        description=DATUM_HELP,
    )
    radius_m: int | None = Field(None, description="1..50000; omit for a filter alert")
    needed: int = Field(1, description="responders needed, 0..1000")
    area_codes: list[str] = Field(default_factory=list, max_length=200)
    team_ids: list[int] = Field(default_factory=list, max_length=200)
    sectors: list[str] = Field(default_factory=list, max_length=8)
    roles: list[str] = Field(default_factory=list, max_length=6)
    on_shift: bool = Field(
        False,
        description="only liaisons on shift now (their own shift windows, else their sector's), "
        "in `sectors` (every sector when empty) and living or working in `area_codes`",
    )
    expires_at: AwareTime | None = None


class AlertPatch(StrictIn):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    instruction: str | None = Field(None, max_length=2000)
    severity: Severity | None = None
    needed: int | None = None
    expires_at: AwareTime | None = None


class CancelIn(StrictIn):
    reason: str = Field("", max_length=500)


class ResponseIn(StrictIn):
    state: ResponseState


class ResponseOut(Schema):
    alert_id: int
    state: ResponseState
    accepted_at: datetime | None
    declined_at: datetime | None
    en_route_at: datetime | None
    on_scene_at: datetime | None
    done_at: datetime | None


class DeliveryCounts(Schema):
    sent: int
    delivered: int = Field(..., description="the recipient's phone acknowledged the alert")
    read: int = Field(..., description="the recipient saw the alert's full screen, or responded")


class AlertOut(Schema):
    id: int
    kind: AlertKind
    severity: Severity
    status: AlertStatus
    title: str
    description: str
    instruction: str
    lat: float | None = Field(..., description="WGS-84")
    lon: float | None = Field(..., description="WGS-84")
    radius_m: int | None
    initial_radius_m: int | None
    needed: int
    area_code: str
    area_codes: list[str]
    team_ids: list[int]
    sectors: list[str]
    roles: list[str]
    on_shift: bool
    expires_at: datetime | None
    created_at: datetime
    version: int
    escalation_step: int
    source: str
    recipients: int
    deliveries: DeliveryCounts | None = None
    responses: dict[str, int] | None = None
    languages: list[dict[str, str]]

    @staticmethod
    def build(
        alert: Alert,
        *,
        recipients: int,
        deliveries: dict[str, int] | None = None,
        responses: dict[str, int] | None = None,
    ) -> AlertOut:
        return AlertOut(
            id=alert.pk,
            kind=AlertKind(alert.kind),
            severity=Severity(alert.severity),
            status=AlertStatus(alert.status),
            title=alert.title,
            description=alert.description,
            instruction=alert.instruction,
            lat=alert.lat,
            lon=alert.lon,
            radius_m=alert.radius_m,
            initial_radius_m=alert.initial_radius_m,
            needed=alert.needed,
            area_code=alert.area_id,
            area_codes=alert.target_area_codes,
            team_ids=alert.target_team_ids,
            sectors=alert.target_sectors,
            roles=alert.target_roles,
            on_shift=alert.target_on_shift,
            expires_at=alert.expires_at,
            created_at=alert.created_at,
            version=alert.version,
            escalation_step=alert.escalation_step,
            source=alert.source,
            recipients=recipients,
            deliveries=DeliveryCounts(**deliveries) if deliveries is not None else None,
            responses=responses,
            languages=alert.languages,
        )


class AlertFilter(PageParams):
    status: AlertStatus | None = None
    kind: AlertKind | None = None
    area: str | None = Field(None, max_length=12, pattern=r"^\d+$")
    since: AwareTime | None = None
    until: AwareTime | None = None


class BoardRowOut(Schema):
    person_id: int
    name: str
    area_code: str
    distance_m: float | None
    wave: int
    state: str | None
    accepted_at: datetime | None
    on_scene_at: datetime | None
    read_at: datetime | None


class BoardOut(Schema):
    alert_id: int
    status: AlertStatus
    needed: int
    radius_m: int | None
    by_state: dict[str, int] = Field(..., description="every recipient's state, in the caller's jurisdiction or not")
    recipients_total: int = Field(..., description="everyone the alert reached")
    recipients_hidden: int = Field(
        ..., description="of those, people outside the caller's jurisdiction: counted, never listed"
    )
    read: int = Field(..., description="recipients who opened the alert, in the caller's jurisdiction or not")
    time_to_first_accept_s: float | None
    time_to_first_on_scene_s: float | None
    recipients: list[BoardRowOut] = Field(..., description="recipients inside the caller's jurisdiction")
    manages: bool = Field(
        ...,
        description="the caller directs the alert (escalate, update, cancel, close); false for a coordinator "
        "below it who watches their own people's answers to an alert raised above them",
    )

    @staticmethod
    def build(board: Board) -> BoardOut:
        return BoardOut(
            alert_id=board.alert.pk,
            status=AlertStatus(board.alert.status),
            needed=board.alert.needed,
            radius_m=board.alert.radius_m,
            by_state=board.by_state,
            recipients_total=board.recipients,
            recipients_hidden=board.hidden,
            read=board.read,
            manages=board.manages,
            time_to_first_accept_s=board.time_to_first_accept_s,
            time_to_first_on_scene_s=board.time_to_first_on_scene_s,
            recipients=[BoardRowOut(**vars(row)) for row in board.rows],
        )


class ReportFilter(Schema):
    since: AwareTime
    until: AwareTime
    level: str = Field("county", max_length=16)


class ReportPageFilter(ReportFilter, PageParams):
    limit: int = Field(200, ge=1, le=500)  # a row per area (a city has ~50 townships) and per kind


class StatsOut(Schema):
    group: str
    key: str
    name: str
    alerts: int
    accepted: int
    median_accept_s: float | None
    p90_accept_s: float | None
    on_scene: int
    median_on_scene_s: float | None
    p90_on_scene_s: float | None

    @staticmethod
    def build(stats: Stats) -> StatsOut:
        return StatsOut(**vars(stats))


class ReportOut(Schema):
    since: datetime
    until: datetime
    level: str
    items: list[StatsOut]
    count: int


class PreviewOut(Schema):
    recipients: int = Field(..., description="how many people the alert would ring if it were raised now")
