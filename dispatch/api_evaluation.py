"""/api/v1/reports/evaluation: the yearly evaluation of each county's association, as JSON or CSV."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from core.auth import actor_of
from core.endpoints import errors
from core.pagination import paginate_rows
from core.roles import Capability
from core.schemas import Page, PageParams
from core.services.audit import export_audit
from dispatch.evaluation import FIRST_YEAR, as_csv, county_evaluation

router = Router(tags=["reports"])


class EvaluationParams(Schema):
    year: int = Field(..., ge=FIRST_YEAR, description="2000 up to the current year.")


class EvaluationPageParams(EvaluationParams, PageParams):
    pass


class EvaluationOut(Schema):
    code: str
    name: str
    volunteers: int
    liaisons: int
    sessions: int
    attendance_rate: float | None
    alerts: int
    accepted: int
    median_accept_s: float | None
    p90_accept_s: float | None
    needed_reached: int
    needed_reached_share: float | None
    stations_without_head: int
    townships_with_gaps: int
    sector_gaps: int


@router.get("/evaluation", response={200: Page[EvaluationOut], **errors(401, 403, 422)})
def evaluation(request: HttpRequest, params: Query[EvaluationPageParams]) -> dict[str, object]:
    """Per county in the caller's jurisdiction: members and vacancies now; the year's attendance rate,
    alerts, median and p90 seconds to the first accept, and how many alerts got their `needed` accepts."""
    rows = county_evaluation(actor=actor_of(request), year=params.year)
    page, count = paginate_rows(rows, params)
    return {"items": [r.as_dict() for r in page], "count": count}


@router.get(
    "/evaluation.csv",
    response={200: None, **errors(401, 403, 422)},
    openapi_extra={"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}},
)
def evaluation_csv(request: HttpRequest, params: Query[EvaluationParams]) -> HttpResponse:
    """Every row of the evaluation as CSV (the export is audited)."""
    actor = actor_of(request)
    rows = county_evaluation(actor=actor, year=params.year)
    export_audit(
        actor=actor,
        capability=Capability.HOST_SESSIONS,
        object_type="evaluation_report",
        area=None,
        details={"year": params.year, "rows": len(rows)},
    )
    response = HttpResponse(as_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="evaluation-{params.year}.csv"'
    return response
