"""The liaison network's endpoints: sectors, employers, stations, liaisons, vacancies, import, export.

Coverage and map layers are in liaisons/api_coverage.py, mounted below at /coverage.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from core.auth import actor_of
from core.endpoints import errors
from core.errors import PayloadTooLarge
from core.pagination import paginate
from core.schemas import Page, PageParams
from liaisons.api_coverage import router as coverage_router
from liaisons.coverage_selectors import vacancies
from liaisons.exporting import liaison_export
from liaisons.importing import COLUMNS, REQUIRED, template_csv
from liaisons.registering import liaison_create, liaison_end, liaison_register
from liaisons.schemas import (
    EmployerFilter,
    EmployerIn,
    EmployerOut,
    ImportReportOut,
    LiaisonFilter,
    LiaisonIn,
    LiaisonOut,
    LiaisonPatch,
    PersonRefIn,
    SectorGapOut,
    SectorOut,
    ShiftsIn,
    StationFilter,
    StationHeadIn,
    StationIn,
    StationOut,
    VacanciesOut,
    WorkAreasIn,
)
from liaisons.selectors import employer_list, liaison_list, sector_list, station_get, station_list
from liaisons.services import (
    employer_create,
    liaison_import,
    liaison_set_shifts,
    liaison_set_work_areas,
    liaison_update,
    station_add_liaison,
    station_create,
    station_set_head,
)

router = Router(tags=["liaisons"])
router.add_router("/coverage", coverage_router)


@router.get("/liaisons/sectors", response={200: Page[SectorOut], **errors(401, 422)})
def sectors(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    actor_of(request)
    items, count = paginate(sector_list(), params)
    return {"items": [SectorOut.build(s) for s in items], "count": count}


@router.get("/liaisons", response={200: Page[LiaisonOut], **errors(401, 403, 422)})
def liaisons(request: HttpRequest, filters: Query[LiaisonFilter]) -> dict[str, Any]:
    found = liaison_list(
        actor=actor_of(request), sector=filters.sector, area=filters.area, on_shift_at=filters.on_shift_at
    )
    items, count = paginate(found, filters)
    return {"items": [LiaisonOut.build(item) for item in items], "count": count}


@router.post("/liaisons", response={201: LiaisonOut, **errors(401, 403, 404, 409, 422)})
def create(request: HttpRequest, payload: LiaisonIn) -> Status[LiaisonOut]:
    """Register one liaison with their sector (and perhaps employer and station), granting the liaison role at home.

    `person_id`: someone registered already; `person`: someone new (all or nothing). POST /people and
    POST /people/{id}/roles refuse the liaison role (`liaison_needs_sector`) and point here.
    """
    actor = actor_of(request)
    profile = payload.model_dump(include={"sector", "employer_id", "station_id"})
    if payload.person_id is not None:
        liaison = liaison_create(actor=actor, person_id=payload.person_id, **profile)
    else:  # the schema asks for exactly one of the two
        person = payload.person.model_dump() if payload.person is not None else {}
        liaison = liaison_register(actor=actor, **profile, **person)
    return Status(201, LiaisonOut.build(liaison_list(actor=actor).get(person_id=liaison.person_id)))


@router.put("/liaisons/{int:person_id}/shifts", response={200: LiaisonOut, **errors(401, 403, 404, 422)})
def shifts(request: HttpRequest, person_id: int, payload: ShiftsIn) -> LiaisonOut:
    liaison_set_shifts(actor=actor_of(request), person_id=person_id, shifts=payload.windows())
    return LiaisonOut.build(liaison_list(actor=actor_of(request)).get(person_id=person_id))


@router.patch("/liaisons/{int:person_id}", response={200: LiaisonOut, **errors(401, 403, 404, 422)})
def update(request: HttpRequest, person_id: int, payload: LiaisonPatch) -> LiaisonOut:
    """Change a liaison's sector or employer (what an import would change, without re-importing)."""
    given = payload.model_dump(exclude_unset=True)
    liaison_update(actor=actor_of(request), person_id=person_id, **given)
    return LiaisonOut.build(liaison_list(actor=actor_of(request)).get(person_id=person_id))


@router.delete("/liaisons/{int:person_id}", response={204: None, **errors(401, 403, 404, 409)})
def end(request: HttpRequest, person_id: int) -> Status[None]:
    """They are no longer a liaison (they changed jobs): their profile and liaison role go; the person stays.

    DELETE /people/{id}/roles/liaison/{area} refuses (`role_managed_elsewhere`) and points here. The head
    of a work station is refused (409 `liaison_heads_station`) until another head is named.
    """
    liaison_end(actor=actor_of(request), person_id=person_id)
    return Status(204, None)


@router.put("/liaisons/{int:person_id}/work-areas", response={200: LiaisonOut, **errors(401, 403, 404, 422)})
def work_areas(request: HttpRequest, person_id: int, payload: WorkAreasIn) -> LiaisonOut:
    """Where else the liaison works (townships or villages): counted there for coverage, targeted there by alerts."""
    liaison_set_work_areas(actor=actor_of(request), person_id=person_id, area_codes=payload.area_codes)
    return LiaisonOut.build(liaison_list(actor=actor_of(request)).get(person_id=person_id))


@router.get("/liaisons/employers", response={200: Page[EmployerOut], **errors(401, 403, 422)})
def employers(request: HttpRequest, filters: Query[EmployerFilter]) -> dict[str, Any]:
    items, count = paginate(employer_list(actor=actor_of(request), sector=filters.sector, area=filters.area), filters)
    return {"items": [EmployerOut.build(e) for e in items], "count": count}


@router.post("/liaisons/employers", response={201: EmployerOut, **errors(401, 403, 404, 409, 422)})
def employer_new(request: HttpRequest, payload: EmployerIn) -> Status[EmployerOut]:
    employer = employer_create(actor=actor_of(request), **payload.model_dump())
    return Status(201, EmployerOut.build(employer))


@router.get("/liaisons/stations", response={200: Page[StationOut], **errors(401, 403, 422)})
def stations(request: HttpRequest, filters: Query[StationFilter]) -> dict[str, Any]:
    items, count = paginate(station_list(actor=actor_of(request), area=filters.area, vacant=filters.vacant), filters)
    return {"items": [StationOut.build(s) for s in items], "count": count}


@router.post("/liaisons/stations", response={201: StationOut, **errors(401, 403, 404, 409, 422)})
def station_new(request: HttpRequest, payload: StationIn) -> Status[StationOut]:
    station = station_create(actor=actor_of(request), **payload.model_dump())
    return Status(201, StationOut.build(station_get(actor=actor_of(request), station_id=station.pk)))


@router.put("/liaisons/stations/{int:station_id}/head", response={200: StationOut, **errors(401, 403, 404, 422)})
def station_head(request: HttpRequest, station_id: int, payload: StationHeadIn) -> StationOut:
    station_set_head(actor=actor_of(request), station_id=station_id, person_id=payload.person_id)
    return StationOut.build(station_get(actor=actor_of(request), station_id=station_id))


@router.post("/liaisons/stations/{int:station_id}/liaisons", response={200: LiaisonOut, **errors(401, 403, 404, 422)})
def station_liaison(request: HttpRequest, station_id: int, payload: PersonRefIn) -> LiaisonOut:
    station_add_liaison(actor=actor_of(request), station_id=station_id, person_id=payload.person_id)
    return LiaisonOut.build(liaison_list(actor=actor_of(request)).get(person_id=payload.person_id))


class AreaParam(Schema):
    area: str | None = Field(None, pattern=r"^\d{6,12}$")


@router.get("/liaisons/vacancies", response={200: VacanciesOut, **errors(401, 403, 404, 422)})
def vacancy_list(request: HttpRequest, params: Query[AreaParam]) -> VacanciesOut:
    found = vacancies(actor=actor_of(request), area=params.area)
    return VacanciesOut(
        stations_without_head=found.stations_without_head,
        stations=[StationOut.build(s) for s in found.stations],
        townships_missing_a_sector=len(found.gaps),
        sector_vacancies=sum(len(v) for v in found.gaps.values()),
        gaps=[SectorGapOut(area_code=code, missing_sectors=missing) for code, missing in found.gaps.items()],
    )


class ImportParams(Schema):
    dry_run: bool = True
    skip_invalid: bool = Field(
        False, description="with `dry_run=false`: import the valid rows and leave out the bad ones (each reported)"
    )
    progress_key: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_-]{1,40}$",
        description="your own tag for this import: your dashboard socket then receives "
        "`liaisons.import_progress` frames carrying it (every 1,000 rows checked, then writing/done/failed)",
    )


@router.post(
    "/liaisons/imports",
    response={200: ImportReportOut, 201: ImportReportOut, **errors(401, 403, 413, 422)},
    summary="Import liaisons from CSV (UTF-8 or GBK) or XLSX",
    description="Multipart upload `file`. `?dry_run=true` (the default) only checks and reports each bad row; "
    "`?dry_run=false` imports all rows or none (422 `import_has_errors` with the report in details); "
    "with `&skip_invalid=true` it imports the valid rows and reports the bad ones it left out. "
    "People are matched by ID number, so importing the same file again changes nothing.",
)
def import_file(request: HttpRequest, params: Query[ImportParams], file: File[UploadedFile]) -> Status[ImportReportOut]:
    actor = actor_of(request)
    if file.size is not None and file.size > settings.API_MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(code="import_too_large", details={"max_bytes": settings.API_MAX_UPLOAD_BYTES})
    report = liaison_import(
        actor=actor,
        content=file.read(),
        dry_run=params.dry_run,
        skip_invalid=params.skip_invalid,
        progress_key=params.progress_key,
    )
    return Status(200 if params.dry_run else 201, ImportReportOut.build(report))


class ImportColumnOut(Schema):
    key: str
    title: str = Field(..., description="the title the template uses")
    aliases: list[str] = Field(..., description="other titles the importer accepts for this column")
    required: bool


class ImportColumnsOut(Schema):
    columns: list[ImportColumnOut]


@router.get("/liaisons/imports/columns", response={200: ImportColumnsOut, **errors(401)})
def import_columns(request: HttpRequest) -> ImportColumnsOut:
    """The columns an import reads (matched by title, in any order; other columns are ignored)."""
    actor_of(request)
    return ImportColumnsOut(
        columns=[
            ImportColumnOut(key=key, title=names[0], aliases=list(names[1:]), required=key in REQUIRED)
            for key, names in COLUMNS.items()
        ]
    )


@router.get(
    "/liaisons/imports/template",
    response={200: None, **errors(401)},
    summary="A blank liaison sheet (CSV with the column titles the import reads)",
)
def import_template(request: HttpRequest) -> HttpResponse:
    actor_of(request)
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="liaisons-template.csv"'
    return response


class ExportParams(Schema):
    sector: str | None = Field(None, max_length=32)
    area: str | None = Field(None, pattern=r"^\d{6,12}$")


@router.get("/liaisons/export.csv", response={200: None, **errors(401, 403, 422)}, summary="Liaisons as CSV")
def export(request: HttpRequest, params: Query[ExportParams]) -> HttpResponse:
    body = liaison_export(actor=actor_of(request), sector=params.sector, area=params.area)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="liaisons.csv"'
    return response
