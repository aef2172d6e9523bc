"""Helpers the training services share: the acting person, audit entries, geo input, venues."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.errors import Forbidden, InvalidInput
from core.geo import Datum, to_wgs84, valid_lat_lon
from core.identity import normalize_contact_phone
from core.jurisdiction import area_within
from core.models import Area, AuditAction, Person
from core.services.audit import audit_record
from training.models import Session, Venue
from training.selectors import person_of

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from training.schemas import VenueIn


def acting_person(actor: User) -> Person:
    person = person_of(actor)
    if person is None:
        raise Forbidden(_("This login is not linked to a person."), code="no_person")
    return person


def audit_session(*, actor: User, session: Session, what: str, area_code: str = "", **details: Any) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.SESSION_ACTION,
        object_type="session",
        object_id=session.pk,
        area_code=area_code or session.host_area_id,
        details={"what": what, **details},
    )


def join_url(*, session: Session, venue_key: str) -> str:
    return settings.TRAINING_VIDEO_URL_TEMPLATE.format(session=f"{session.pk}{session.room_key}", venue=venue_key)


def venue_key(session: Session, area_code: str) -> str:
    taken = Venue.objects.filter(session=session).filter(Q(key=area_code) | Q(key__startswith=f"{area_code}-")).count()
    return area_code if taken == 0 else f"{area_code}-{taken + 1}"


def area_under(code: str, within: Area, *, field: str) -> Area:
    """An existing area inside `within`: unknown is 422 unknown_area, outside 404 audience_outside_jurisdiction
    (outside the jurisdiction one acts in is 404, as the contract has it)."""
    return area_within(
        within,
        code,
        field=field,
        outside=("audience_outside_jurisdiction", _("That is outside the jurisdiction the session is hosted in.")),
    )


def _contact_phone(raw: str) -> str:
    """A venue contact's number: a mobile as 11 digits or the room's fixed line (blank stays blank)."""
    if not raw.strip():
        return ""
    try:
        return normalize_contact_phone(raw)
    except InvalidInput as error:
        raise InvalidInput(error.message, code=error.code, details={"field": "contact_phone"}) from None


def venue_create(
    *, session: Session, area: Area, by: Person | None, spec: VenueIn | None = None, contact_name: str = ""
) -> Venue:
    """A venue; video rooms get their join link from the template. Geofence needs a point."""
    lat = lon = None
    if spec is not None and spec.lat is not None and spec.lon is not None:
        if not valid_lat_lon(spec.lat, spec.lon):
            raise InvalidInput(_("Latitude or longitude out of range."), code="invalid_coordinates")
        point = to_wgs84(spec.lat, spec.lon, Datum(spec.datum))
        lat, lon = point.lat, point.lon
    if spec is not None and spec.geofence_m is not None and lat is None:
        raise InvalidInput(_("A geofence needs the venue's location."), code="geofence_without_location")
    key = venue_key(session, area.code)
    name = spec.name if spec is not None and spec.name else str(_("%(area)s meeting room") % {"area": area.name})
    return Venue.objects.create(
        session=session,
        area=area,
        name=name,
        key=key,
        join_url=join_url(session=session, venue_key=key) if session.mode != "in_person" else "",
        contact_name=spec.contact_name if spec is not None else contact_name,
        contact_phone=_contact_phone(spec.contact_phone) if spec is not None else "",
        lat=lat,
        lon=lon,
        geofence_m=spec.geofence_m if spec is not None else None,
        added_by=by,
    )
