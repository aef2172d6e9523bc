"""Request and response shapes of the liaison network and coverage endpoints (explicit fields)."""

from __future__ import annotations

from datetime import time
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import field_validator, model_validator

from core.identity import mask_phone
from core.models import AreaLevel
from core.schemas import AwareTime, PageParams, PersonIn, StrictIn, Visible
from liaisons.importing import parse_shifts
from liaisons.models import CoverageTarget, Employer, EmployerKind, Liaison, Sector, Station
from liaisons.services import ImportReport

_CODE = r"^\d{6,12}$"


class SectorOut(Schema):
    code: str
    name_zh: str
    name_en: str

    @staticmethod
    def build(sector: Sector) -> SectorOut:
        return SectorOut(code=sector.code, name_zh=sector.name_zh, name_en=sector.name_en)


class EmployerFilter(PageParams):
    sector: str | None = Field(None, max_length=32)
    area: str | None = Field(None, pattern=_CODE)


class EmployerIn(StrictIn):
    name: Visible = Field(..., max_length=128)
    sector: str = Field(..., min_length=1, max_length=32)
    area_code: str = Field(..., pattern=_CODE)
    kind: EmployerKind | None = None
    address: str = Field("", max_length=200)


class EmployerOut(Schema):
    id: int
    name: str
    kind: EmployerKind
    sector: str
    area_code: str
    area_name: str
    address: str

    @staticmethod
    def build(employer: Employer) -> EmployerOut:
        return EmployerOut(
            id=employer.pk,
            name=employer.name,
            kind=EmployerKind(employer.kind),
            sector=employer.sector_id,
            area_code=employer.area_id,
            area_name=employer.area.name,
            address=employer.address,
        )


class StationFilter(PageParams):
    area: str | None = Field(None, pattern=_CODE)
    vacant: bool | None = Field(None, description="true: only stations without a head")


class StationIn(StrictIn):
    name: Visible = Field(..., max_length=128)
    area_code: str = Field(..., pattern=_CODE)
    address: str = Field("", max_length=200)


class StationHeadIn(StrictIn):
    person_id: int | None = Field(..., description="null leaves the station without a head")


class PersonRefIn(StrictIn):
    person_id: int


class StationOut(Schema):
    id: int
    name: str
    area_code: str
    area_name: str
    address: str
    head_id: int | None
    head_name: str | None

    @staticmethod
    def build(station: Station) -> StationOut:
        return StationOut(
            id=station.pk,
            name=station.name,
            area_code=station.area_id,
            area_name=station.area.name,
            address=station.address,
            head_id=station.head_id,
            head_name=station.head.name if station.head else None,
        )


class LiaisonFilter(PageParams):
    sector: str | None = Field(None, max_length=32)
    area: str | None = Field(None, pattern=_CODE)
    on_shift_at: AwareTime | None = Field(None, description="only liaisons on shift at this instant (ISO 8601)")


class ShiftsIn(StrictIn):
    shifts: list[str] = Field(..., max_length=8, examples=[["10:00-14:00", "17:00-21:00"]])

    @field_validator("shifts")
    @classmethod
    def _parse(cls, value: list[str]) -> list[str]:
        for item in value:
            parse_shifts(item)  # ValueError -> 422 naming the field
        return value

    def windows(self) -> list[tuple[time, time]]:
        return [w for item in self.shifts for w in parse_shifts(item)]


class LiaisonOut(Schema):
    person_id: int
    name: str
    phone: str = Field(..., description="masked")
    area_code: str
    sector: str
    employer_id: int | None
    employer_name: str | None
    station_id: int | None
    work_area_codes: list[str] = Field(..., description="where else they work, besides their home area")
    shifts: list[str] = Field(
        ...,
        description="HH:MM-HH:MM, Asia/Shanghai (an end before the start wraps midnight); their own or their sector's",
    )
    own_shifts: bool

    @staticmethod
    def build(liaison: Liaison) -> LiaisonOut:
        return LiaisonOut(
            person_id=liaison.person_id,
            name=liaison.person.name,
            phone=mask_phone(liaison.person.phone),
            area_code=liaison.person.home_area_id,
            sector=liaison.sector_id,
            employer_id=liaison.employer_id,
            employer_name=liaison.employer.name if liaison.employer else None,
            station_id=liaison.station_id,
            work_area_codes=sorted(a.code for a in liaison.work_areas.all()),
            shifts=liaison.effective_shifts(),
            own_shifts=bool(liaison.shifts.all()),
        )


class SectorGapOut(Schema):
    area_code: str
    missing_sectors: list[str]


class VacanciesOut(Schema):
    stations_without_head: int
    stations: list[StationOut] = Field(..., description="the stations without a head (first 200)")
    townships_missing_a_sector: int
    sector_vacancies: int = Field(..., description="(township, sector) pairs with no liaison")
    gaps: list[SectorGapOut]


class RowErrorOut(Schema):
    row: int = Field(..., description="line in the sheet; the header is line 1")
    field: str
    code: str
    message: str


class ImportReportOut(Schema):
    dry_run: bool
    rows: int = Field(..., description="data rows read (blank lines skipped)")
    valid: int
    created: int = Field(..., description="new people (in a dry run: who would be new)")
    updated: int = Field(..., description="people already registered whose data changed (0 in a dry run)")
    unchanged: int = Field(..., description="people already registered exactly as in the file (0 in a dry run)")
    error_count: int
    errors: list[RowErrorOut] = Field(..., description="the first 1,000 problems, by line")

    @staticmethod
    def build(report: ImportReport) -> ImportReportOut:
        return ImportReportOut(
            dry_run=report.dry_run,
            rows=report.rows,
            valid=report.valid,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            error_count=len(report.errors),
            errors=[RowErrorOut(**e.__dict__) for e in report.errors[:1000]],
        )


# --- coverage --------------------------------------------------------------------------------


class CoverageAreaFilter(PageParams):
    limit: int = Field(200, ge=1, le=500)
    level: AreaLevel | None = AreaLevel.TOWNSHIP
    area: str | None = Field(None, pattern=_CODE, description="only areas under this one")


class CoverageAreaOut(Schema):
    area_code: str
    volunteers: int
    liaisons: int
    on_duty: int | None = Field(
        ..., description="people on duty now (a fresh position); null while live positions are unavailable"
    )
    connected: int | None = Field(
        ..., description="volunteers and liaisons with a phone socket open now; null when presence is unavailable"
    )
    liaisons_by_sector: dict[str, int]
    on_duty_by_sector: dict[str, int] | None = Field(..., description="null while live positions are unavailable")


class GridFilter(Schema):
    area: str | None = Field(None, pattern=_CODE, description="a county or township code; default: all you may see")


class CoverageListFilter(PageParams):
    # Shortfalls and targets are at most one per (division, sector): a city's ~60 divisions times its sectors.
    limit: int = Field(500, ge=1, le=2000)
    area: str | None = Field(None, pattern=_CODE, description="a county or township code; default: all you may see")


class FeatureCollectionOut(Schema):
    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]]


class WorstCellOut(Schema):
    cell: str
    township: str
    distance_m: float | None


class CoverageSummaryOut(Schema):
    cells: int
    responders: int
    within_1km: float = Field(..., description="share of cells (0..1) with someone on duty within 1 km")
    within_2km: float
    within_5km: float
    worst: list[WorstCellOut]
    townships_without_on_duty: list[str]


class ShortfallOut(Schema):
    area_code: str
    sector: str
    required: int
    actual: int
    missing: int


class LiaisonPatch(StrictIn):
    sector: str | None = Field(None, description="a sector code (GET /liaisons/sectors)")
    employer_id: int | None = Field(
        None, description="an employer of the liaison's (new) sector inside your jurisdiction; null clears it"
    )


class LiaisonIn(StrictIn):
    person_id: int | None = Field(None, description="someone already registered, homed inside your jurisdiction")
    person: PersonIn | None = Field(
        None,
        description="or someone new, as for POST /people (their `roles` are their other roles, e.g. volunteer)",
    )
    sector: str = Field(..., min_length=1, max_length=32, description="a sector code (GET /liaisons/sectors)")
    employer_id: int | None = Field(None, description="an employer of that sector inside your jurisdiction")
    station_id: int | None = Field(None, description="a work station inside your jurisdiction")

    @model_validator(mode="after")
    def _one_person(self) -> LiaisonIn:
        if (self.person_id is None) == (self.person is None):
            raise ValueError("give exactly one of person_id and person")
        return self


class WorkAreasIn(StrictIn):
    area_codes: list[str] = Field(..., max_length=50, description="townships or villages; replaces the list")

    @field_validator("area_codes")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not code.isdigit() or len(code) not in (9, 12):
                raise ValueError("a township (9 digits) or village (12 digits) code")
        return value


class TargetIn(StrictIn):
    area_code: str = Field(..., pattern=_CODE)
    sector: str = Field(..., min_length=1, max_length=32)
    min_liaisons: int = Field(..., ge=0, le=1000, description="per township under the area; 0 exempts it")


class TargetOut(Schema):
    area_code: str
    sector: str
    min_liaisons: int
    editable: bool = Field(..., description="set inside your jurisdiction (else inherited from above)")

    @staticmethod
    def build(target: CoverageTarget, *, editable: bool) -> TargetOut:
        return TargetOut(
            area_code=target.area_id, sector=target.sector_id, min_liaisons=target.min_liaisons, editable=editable
        )
