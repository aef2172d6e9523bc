"""Coverage endpoints (the contract's /coverage/areas and /coverage/grid) and the staff map's GeoJSON layers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from ninja.responses import Status

from core.auth import actor_of
from core.endpoints import errors
from core.jurisdiction import jurisdiction_for
from core.pagination import paginate_rows
from core.roles import Capability
from core.schemas import Page
from core.services.audit import personal_data_read
from liaisons.coverage_selectors import (
    county_layer,
    coverage_by_area,
    coverage_grid,
    coverage_shortfalls,
    coverage_summary,
    grid_geojson,
    on_duty_layer,
    township_layer,
)
from liaisons.schemas import (
    CoverageAreaFilter,
    CoverageAreaOut,
    CoverageListFilter,
    CoverageSummaryOut,
    FeatureCollectionOut,
    GridFilter,
    ShortfallOut,
    TargetIn,
    TargetOut,
    WorstCellOut,
)
from liaisons.selectors import target_list
from liaisons.services import coverage_target_delete, coverage_target_set

router = Router(tags=["coverage"])


@router.get("/areas", response={200: Page[CoverageAreaOut], **errors(401, 403, 404, 422)})
def areas(request: HttpRequest, filters: Query[CoverageAreaFilter]) -> dict[str, Any]:
    """Members and who is on duty now, per area (volunteers by home; liaisons by home and work areas)."""
    counts = coverage_by_area(actor=actor_of(request), level=filters.level, area=filters.area, now=timezone.now())
    page = counts[filters.offset : filters.offset + filters.limit]
    return {
        "items": [
            CoverageAreaOut(
                area_code=c.area_code,
                volunteers=c.volunteers,
                liaisons=c.liaisons,
                on_duty=c.on_duty,
                connected=c.connected,
                liaisons_by_sector=c.liaisons_by_sector,
                on_duty_by_sector=c.on_duty_by_sector,
            )
            for c in page
        ],
        "count": len(counts),
    }


@router.get("/grid", response={200: FeatureCollectionOut, **errors(401, 403, 404, 422)})
def grid(request: HttpRequest, filters: Query[GridFilter]) -> dict[str, Any]:
    """h3 hexagons with `properties.distance_m` to the nearest on-duty responder (null when nobody is on duty)."""
    return grid_geojson(coverage_grid(actor=actor_of(request), area=filters.area, now=timezone.now()))


@router.get("/summary", response={200: CoverageSummaryOut, **errors(401, 403, 404, 422)})
def summary(request: HttpRequest, filters: Query[GridFilter]) -> CoverageSummaryOut:
    found = coverage_summary(actor=actor_of(request), area=filters.area, now=timezone.now())
    return CoverageSummaryOut(
        cells=found.grid.cells,
        responders=found.grid.responders,
        within_1km=round(found.grid.within[1000], 4),
        within_2km=round(found.grid.within[2000], 4),
        within_5km=round(found.grid.within[5000], 4),
        worst=[WorstCellOut(cell=c, township=t, distance_m=d) for c, t, d in found.grid.worst],
        townships_without_on_duty=found.townships_without_on_duty,
    )


@router.get("/shortfalls", response={200: Page[ShortfallOut], **errors(401, 403, 404, 422)})
def shortfalls(request: HttpRequest, filters: Query[CoverageListFilter]) -> dict[str, Any]:
    """(township, sector) pairs below their coverage target (default: one liaison per sector)."""
    found, count = paginate_rows(coverage_shortfalls(actor=actor_of(request), area=filters.area), filters)
    items = [
        ShortfallOut(area_code=s.township, sector=s.sector, required=s.required, actual=s.actual, missing=s.missing)
        for s in found
    ]
    return {"items": items, "count": count}


@router.get("/targets", response={200: Page[TargetOut], **errors(401, 403, 404, 422)})
def targets(request: HttpRequest, filters: Query[CoverageListFilter]) -> dict[str, Any]:
    """Coverage targets that apply in your view: your own and those set above you (not editable here)."""
    actor = actor_of(request)
    manage = jurisdiction_for(actor, Capability.MANAGE_PEOPLE)
    found, count = paginate_rows(target_list(actor=actor, area=filters.area), filters)
    return {"items": [TargetOut.build(t, editable=manage.covers(t.area_id)) for t in found], "count": count}


@router.put("/targets", response={200: TargetOut, **errors(401, 403, 404, 422)})
def target_set(request: HttpRequest, payload: TargetIn) -> TargetOut:
    """Set an area's target for a sector (the most specific target covering a township wins)."""
    target = coverage_target_set(actor=actor_of(request), **payload.model_dump())
    return TargetOut.build(target, editable=True)


@router.delete("/targets/{area_code}/{sector}", response={204: None, **errors(401, 403, 404)})
def target_delete(request: HttpRequest, area_code: str, sector: str) -> Status[None]:
    coverage_target_delete(actor=actor_of(request), area_code=area_code, sector=sector)
    return Status(204, None)


@router.get("/layers/counties", response={200: FeatureCollectionOut, **errors(401, 403)})
def counties(request: HttpRequest) -> dict[str, Any]:
    return county_layer(actor=actor_of(request))


@router.get("/layers/townships", response={200: FeatureCollectionOut, **errors(401, 403)})
def townships(request: HttpRequest) -> dict[str, Any]:
    return township_layer(actor=actor_of(request), now=timezone.now())


@router.get("/layers/on-duty", response={200: FeatureCollectionOut, **errors(401, 403)})
def on_duty(request: HttpRequest) -> dict[str, Any]:
    """On-duty positions: exact and named only where the viewer's role may see personal data, else ~100 m.

    Who was shown by name at an exact position is audited (once a minute for the same people: the
    map re-reads this layer on every duty change)."""
    actor = actor_of(request)
    layer = on_duty_layer(actor=actor, now=timezone.now())
    named = {
        f["properties"]["person_id"]: f["properties"]["area_code"]
        for f in layer["features"]
        if f["properties"]["exact"]
    }
    personal_data_read(
        actor=actor, object_type="on_duty_layer", people=named, fields=["name", "position"], once_per_s=60
    )
    return layer
