"""The caller's duty status and live location (contract: PUT /me/duty, PUT/GET /me/location)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from core.auth import actor_of
from core.endpoints import errors
from core.geo import DATUM_HELP
from core.schemas import AwareTime, StrictIn
from core.services.duty import duty_set, location_get, location_report

router = Router(tags=["me"])


class DutyIn(StrictIn):
    on_duty: bool


class DutyOut(Schema):
    on_duty: bool
    changed_at: datetime


class LocationIn(StrictIn):
    lat: float
    lon: float
    datum: str = Field(
        "wgs84",
        description=DATUM_HELP,
        max_length=8,
    )
    accuracy_m: float | None = None
    at: AwareTime | None = Field(None, description="When the fix was taken (default: now)")


class LocationOut(Schema):
    lat: float = Field(..., description="WGS-84")
    lon: float = Field(..., description="WGS-84")
    accuracy_m: float | None
    at: datetime


@router.put("/me/duty", response={200: DutyOut, **errors(401, 404, 422)})
def duty(request: HttpRequest, payload: DutyIn) -> DutyOut:
    status = duty_set(actor=actor_of(request), on_duty=payload.on_duty)
    return DutyOut(on_duty=status.on_duty, changed_at=status.changed_at)


@router.put("/me/location", response={200: LocationOut, **errors(401, 404, 409, 422)})
def location_put(request: HttpRequest, payload: LocationIn) -> LocationOut:
    fix = location_report(actor=actor_of(request), **payload.model_dump())
    return LocationOut(lat=fix.lat, lon=fix.lon, accuracy_m=fix.accuracy_m, at=fix.at)


@router.get("/me/location", response={200: LocationOut, **errors(401, 404)})
def location(request: HttpRequest) -> LocationOut:
    fix = location_get(actor=actor_of(request))
    return LocationOut(lat=fix.lat, lon=fix.lon, accuracy_m=fix.accuracy_m, at=fix.at)
