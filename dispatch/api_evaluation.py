"""/api/v1/reports/evaluation: the yearly evaluation of each county's association, as JSON, CSV or XLSX."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from core.auth import actor_of
from core.endpoints import errors
from core.exports import XLSX
from core.pagination import paginate_rows
from core.roles import Capability
from core.schemas import Page, PageParams
from core.services.audit import export_audit
from dispatch.evaluation import FIRST_YEAR, CountyEvaluation, as_csv, as_xlsx, county_evaluation

router = Router(tags=["reports"])


class EvaluationParams(Schema):
    year: int = Field(..., ge=FIRST_YEAR, description="2000 up to the current year.")


class EvaluationPageParams(EvaluationParams, PageParams):
    pass


# The rows are the evaluation's own records (dispatch.evaluation.CountyEvaluation): one list of fields,
# which the JSON, the CSV and the XLSX all follow.
@router.get("/evaluation", response={200: Page[CountyEvaluation], **errors(401, 403, 422)})
def evaluation(request: HttpRequest, params: Query[EvaluationPageParams]) -> dict[str, object]:
    """Per county in the caller's jurisdiction: members and vacancies now; the year's attendance rate,
    alerts, median and p90 seconds to the first accept, and how many alerts got their `needed` accepts."""
    rows = county_evaluation(actor=actor_of(request), year=params.year)
    page, count = paginate_rows(rows, params)
    return {"items": page, "count": count}


def _download(
    request: HttpRequest, year: int, fmt: str, content_type: str, render: Callable[[list[CountyEvaluation]], bytes]
) -> HttpResponse:
    """Every row of the year's evaluation as a file; each download is audited as an export."""
    actor = actor_of(request)
    rows = county_evaluation(actor=actor, year=year)
    export_audit(
        actor=actor,
        capability=Capability.HOST_SESSIONS,
        object_type="evaluation_report",
        area=None,
        fmt=fmt,
        details={"year": year, "rows": len(rows)},
    )
    response = HttpResponse(render(rows), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="evaluation-{year}.{fmt}"'
    return response


@router.get(
    "/evaluation.csv",
    response={200: None, **errors(401, 403, 422)},
    openapi_extra={"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}},
)
def evaluation_csv(request: HttpRequest, params: Query[EvaluationParams]) -> HttpResponse:
    """Every row of the evaluation as CSV, titled with the JSON's keys (the export is audited)."""
    return _download(request, params.year, "csv", "text/csv; charset=utf-8", as_csv)


@router.get(
    "/evaluation.xlsx",
    response={200: None, **errors(401, 403, 422)},
    openapi_extra={"responses": {200: {"description": "XLSX", "content": {XLSX: {}}}}},
)
def evaluation_xlsx(request: HttpRequest, params: Query[EvaluationParams]) -> HttpResponse:
    """Every row of the evaluation as an Excel workbook, titled in the caller's language (the export is audited)."""
    return _download(request, params.year, "xlsx", XLSX, lambda rows: as_xlsx(rows, year=params.year))
