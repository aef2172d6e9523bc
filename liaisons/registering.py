"""Registering one liaison, and ending one.

Registering: a person gets their sector (perhaps an employer and a work station) and the liaison role at
home, together, in one transaction. The spreadsheet import does the same for a sheet.

core refuses the bare liaison role (`liaison_needs_sector`, core.services.people): a liaison with no
sector would be missing from sector alerts, liaison counts and this app's lists. So the role is given
only here and by the import, always with the profile. Likewise core refuses to take the liaison role
away (`role_managed_elsewhere`): ending a liaison (liaison_end) removes the profile and the role together.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from core.access import access_withdrawn
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.jurisdiction import OUTRANKS_ACTOR, Jurisdiction, outranking, require
from core.models import AuditAction, Person, RoleGrant
from core.roles import Capability, Role
from core.services.audit import audit_record
from core.services.people import check_grantable, person_create
from liaisons.live import coverage_changed
from liaisons.models import Employer, Liaison, Sector, Station

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _sector(code: str) -> Sector:
    sector = Sector.objects.filter(code=code).first()
    if sector is None:
        raise InvalidInput(_("Unknown sector."), code="unknown_sector", details={"sector": code})
    return sector


def _employer(jurisdiction: Jurisdiction, employer_id: int | None, sector: Sector) -> Employer | None:
    if employer_id is None:
        return None
    employer = Employer.objects.filter(pk=employer_id).first()
    if employer is None or not jurisdiction.covers(employer.area_id):
        # As for teams: one outside the jurisdiction is answered as one that does not exist.
        raise NotFound(
            _("Unknown employer, or outside your jurisdiction."),
            code="unknown_employer",
            details={"employer_id": employer_id},
        )
    if employer.sector_id != sector.code:
        raise InvalidInput(
            _("The employer is of another sector."),
            code="employer_sector_mismatch",
            details={"employer_sector": employer.sector_id, "sector": sector.code},
        )
    return employer


def _station(jurisdiction: Jurisdiction, station_id: int | None) -> Station | None:
    if station_id is None:
        return None
    station = Station.objects.filter(jurisdiction.q("area__code")).filter(pk=station_id).first()
    if station is None:
        raise NotFound(
            _("Unknown work station, or outside your jurisdiction."),
            code="unknown_station",
            details={"station_id": station_id},
        )
    return station


@transaction.atomic
def liaison_create(
    *, actor: User, person_id: int, sector: str, employer_id: int | None = None, station_id: int | None = None
) -> Liaison:
    """Make a person homed inside the actor's jurisdiction a liaison of `sector`, with the liaison role at home.

    Refused, writing nothing: someone outside (404), someone holding a role above the jurisdiction (403
    `person_outranks_actor`), an actor who may not give the liaison role there (403 `role_not_grantable`),
    someone already a liaison (409 `already_a_liaison`: PATCH /liaisons/{id} changes one), an unknown sector
    (422), an employer or station outside the jurisdiction (404 `unknown_employer` / `unknown_station`) and
    an employer of another sector (422 `employer_sector_mismatch`).
    """
    jurisdiction = require(actor, Capability.MANAGE_PEOPLE)
    person = (
        Person.objects.select_for_update()
        .filter(jurisdiction.q("home_area__code"), pk=person_id)
        .select_related("home_area")
        .first()
    )
    if person is None:
        raise NotFound()
    if outranking(jurisdiction, [person.pk]):
        raise Forbidden(OUTRANKS_ACTOR, code="person_outranks_actor")
    check_grantable(actor, Role.LIAISON, person.home_area)
    if Liaison.objects.filter(person=person).exists():
        raise Conflict(
            _("This person is already a liaison; change their sector or employer instead."),
            code="already_a_liaison",
            details={"person_id": person.pk},
        )
    found = _sector(sector)
    employer = _employer(jurisdiction, employer_id, found)
    station = _station(jurisdiction, station_id)
    try:
        with transaction.atomic():
            liaison = Liaison.objects.create(person=person, sector=found, employer=employer, station=station)
    except IntegrityError:  # lost a race with another registration of the same person
        raise Conflict(
            _("This person is already a liaison; change their sector or employer instead."),
            code="already_a_liaison",
            details={"person_id": person.pk},
        ) from None
    if person.user_id is not None:
        RoleGrant.objects.get_or_create(
            user_id=person.user_id, role=Role.LIAISON, area=person.home_area, defaults={"granted_by": actor}
        )
    audit_record(
        actor=actor,
        action=AuditAction.LIAISON_CREATE,
        object_type="person",
        object_id=person.pk,
        area_code=person.home_area_id,
        details={
            "sector": found.code,
            "employer_id": employer.pk if employer else None,
            "station_id": station.pk if station else None,
        },
    )
    if len(person.home_area_id) >= 9:  # the township's liaison counts changed
        transaction.on_commit(partial(coverage_changed, area_code=person.home_area_id[:9]))
    return liaison


@transaction.atomic
def liaison_register(
    *,
    actor: User,
    sector: str,
    employer_id: int | None = None,
    station_id: int | None = None,
    name: str,
    phone: str,
    home_area_code: str,
    id_number: str | None = None,
    team_id: int | None = None,
    roles: list[str] | None = None,
    username: str | None = None,
    password: str | None = None,
) -> Liaison:
    """Register a new person (as core's person_create does) and make them a liaison, all or nothing.

    `roles` are their other member roles (volunteer); "liaison" in it is implied and dropped.
    """
    person = person_create(
        actor=actor,
        name=name,
        phone=phone,
        home_area_code=home_area_code,
        id_number=id_number,
        team_id=team_id,
        roles=[r for r in roles or [] if r != Role.LIAISON],
        username=username,
        password=password,
    )
    return liaison_create(
        actor=actor, person_id=person.pk, sector=sector, employer_id=employer_id, station_id=station_id
    )


@transaction.atomic
def liaison_end(*, actor: User, person_id: int) -> None:
    """Someone homed inside the actor's jurisdiction is no longer a liaison (they changed jobs): their
    liaison profile (sector, employer, station, work areas, shifts) and every liaison grant go together.

    The person stays, with any other role (a volunteer stays a volunteer). A bare liaison grant with no
    profile (from before the register) is ended the same way: nothing else can take it away.
    Refused, changing nothing: someone outside, or no liaison (404), someone holding a role above the
    jurisdiction (403 `person_outranks_actor`), an actor who may not give the liaison role where they live or hold
    it (403 `role_not_grantable`), and the head of a work station (409 `liaison_heads_station`: name
    another head first, PUT /liaisons/stations/{id}/head).
    """
    jurisdiction = require(actor, Capability.MANAGE_PEOPLE)
    person = (
        Person.objects.select_for_update()
        .filter(jurisdiction.q("home_area__code"), pk=person_id)
        .select_related("home_area")
        .first()
    )
    if person is None:
        raise NotFound()
    liaison = Liaison.objects.select_for_update().filter(person=person).first()
    grants = (
        list(
            RoleGrant.objects.select_for_update()
            .filter(user_id=person.user_id, role=Role.LIAISON)
            .select_related("area")
            .order_by("area_id")
        )
        if person.user_id is not None
        else []
    )
    if liaison is None and not grants:
        raise NotFound()
    if outranking(jurisdiction, [person.pk]):
        raise Forbidden(OUTRANKS_ACTOR, code="person_outranks_actor")
    for area in {person.home_area_id: person.home_area, **{g.area_id: g.area for g in grants}}.values():
        check_grantable(actor, Role.LIAISON, area)
    led = list(Station.objects.filter(head=person).order_by("pk").values_list("pk", flat=True))
    if led:
        raise Conflict(
            _("This liaison heads a work station: name another head there first."),
            code="liaison_heads_station",
            details={"station_ids": led, "use": "PUT /api/v1/liaisons/stations/{id}/head"},
        )
    # Where their liaison counts drop: home and the work areas, read before the profile goes.
    places = {person.home_area_id}
    if liaison is not None:
        places.update(liaison.work_areas.values_list("code", flat=True))
    details = {
        "role": Role.LIAISON.value,
        "liaison_ended": True,
        "areas": [g.area_id for g in grants],
        "sector": liaison.sector_id if liaison else None,
        "employer_id": liaison.employer_id if liaison else None,
        "station_id": liaison.station_id if liaison else None,
    }
    if liaison is not None:
        liaison.delete()  # its shifts and work areas with it
    RoleGrant.objects.filter(pk__in=[g.pk for g in grants]).delete()
    audit_record(
        actor=actor,
        action=AuditAction.ROLE_REVOKE,
        object_type="person",
        object_id=person.pk,
        area_code=person.home_area_id,
        details=details,
    )
    if grants and person.user_id is not None:
        access_withdrawn(user_ids=[person.user_id])  # their phone reconnects seeing what the login still holds
    for township in sorted({code[:9] for code in places if len(code) >= 9}):
        transaction.on_commit(partial(coverage_changed, area_code=township))
