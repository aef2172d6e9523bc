"""Every write to the liaison network: keyword-only, inside the actor's jurisdiction, audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, InvalidInput, NotFound
from core.jurisdiction import Jurisdiction, area_within, areas_within, grants_of, require
from core.models import AreaLevel, AuditAction, Person, RoleGrant
from core.roles import CAPABILITIES, Capability, Role
from core.services.audit import audit_record
from core.services.people import role_grant
from liaisons.importing import MAX_REPORTED_ERRORS, RowError, check_rows, common_area, read_rows
from liaisons.importing_apply import apply_rows
from liaisons.live import ImportProgressFeed, coverage_changed
from liaisons.models import CoverageTarget, Employer, Liaison, Sector, ShiftWindow, Station
from liaisons.sectors import employer_kind_for

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_TARGET = 1000


def _sector(code: str) -> Sector:
    sector = Sector.objects.filter(code=code).first()
    if sector is None:
        raise InvalidInput(_("Unknown sector."), code="unknown_sector", details={"sector": code})
    return sector


@transaction.atomic
def employer_create(
    *, actor: User, name: str, sector: str, area_code: str, kind: str | None = None, address: str = ""
) -> Employer:
    area = area_within(require(actor, Capability.MANAGE_PEOPLE), area_code)
    found = _sector(sector)
    if Employer.objects.filter(area=area, name=name.strip()).exists():
        raise Conflict(_("An employer with this name already exists here."), code="duplicate_employer")
    employer = Employer.objects.create(
        name=name.strip(), sector=found, area=area, kind=kind or employer_kind_for(found.code), address=address.strip()
    )
    audit_record(
        actor=actor,
        action=AuditAction.EMPLOYER_CREATE,
        object_type="employer",
        object_id=employer.pk,
        area_code=area.code,
        details={"sector": found.code},
    )
    return employer


@transaction.atomic
def station_create(*, actor: User, name: str, area_code: str, address: str = "") -> Station:
    area = area_within(require(actor, Capability.MANAGE_PEOPLE), area_code)
    if area.level not in ("township", "village"):
        raise InvalidInput(
            _("A work station belongs to a township or a village."),
            code="station_area_level",
            details={"area_code": area_code},
        )
    try:
        with transaction.atomic():
            station = Station.objects.create(name=name.strip(), area=area, address=address.strip())
    except IntegrityError:
        raise Conflict(_("A station with this name already exists here."), code="duplicate_station") from None
    audit_record(
        actor=actor,
        action=AuditAction.STATION_CHANGE,
        object_type="station",
        object_id=station.pk,
        area_code=area.code,
        details={"change": "create"},
    )
    return station


def _station_for_update(actor: User, station_id: int) -> tuple[Station, Jurisdiction]:
    jurisdiction = require(actor, Capability.MANAGE_PEOPLE)
    station = Station.objects.select_for_update().filter(jurisdiction.q("area__code")).filter(pk=station_id).first()
    if station is None:
        raise NotFound()
    return station, jurisdiction


@transaction.atomic
def station_set_head(*, actor: User, station_id: int, person_id: int | None) -> Station:
    """Make a person the station's head (granting them station_head over its area), or leave it vacant."""
    station, jurisdiction = _station_for_update(actor, station_id)
    if person_id is not None:
        head = Person.objects.filter(jurisdiction.q("home_area__code"), pk=person_id, is_active=True).first()
        if head is None:
            raise InvalidInput(_("Unknown person."), code="unknown_person", details={"person_id": person_id})
        role_grant(actor=actor, person_id=head.pk, role=Role.STATION_HEAD, area_code=station.area_id)
    previous = station.head_id
    station.head_id = person_id
    station.save(update_fields=["head"])
    revoked = _drop_head_grant(person_id=previous, area_code=station.area_id) if previous != person_id else False
    audit_record(
        actor=actor,
        action=AuditAction.STATION_CHANGE,
        object_type="station",
        object_id=station.pk,
        area_code=station.area_id,
        details={"change": "head", "head": [previous, person_id], "previous_head_grant_revoked": revoked},
    )
    return station


def _drop_head_grant(*, person_id: int | None, area_code: str) -> bool:
    """A replaced head loses the station_head grant over the area, unless they still lead a station there."""
    if person_id is None or Station.objects.filter(head_id=person_id, area_id=area_code).exists():
        return False
    deleted, _rows = RoleGrant.objects.filter(
        user__person__pk=person_id, role=Role.STATION_HEAD, area_id=area_code
    ).delete()
    return bool(deleted)


@transaction.atomic
def station_add_liaison(*, actor: User, station_id: int, person_id: int) -> Liaison:
    station, jurisdiction = _station_for_update(actor, station_id)
    liaison = Liaison.objects.filter(jurisdiction.q("person__home_area__code"), person_id=person_id).first()
    if liaison is None:
        raise InvalidInput(
            _("That person is not a liaison here."), code="unknown_liaison", details={"person_id": person_id}
        )
    previous = liaison.station_id
    liaison.station = station
    liaison.save(update_fields=["station", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.STATION_CHANGE,
        object_type="station",
        object_id=station.pk,
        area_code=station.area_id,
        details={"change": "add_liaison", "person_id": person_id, "from_station": previous},
    )
    return liaison


def _liaison_in(jurisdiction: Jurisdiction, person_id: int) -> Liaison:
    """The liaison profile of a person homed inside the jurisdiction, locked for the change; else 404."""
    liaison = (
        Liaison.objects.select_for_update()
        .filter(jurisdiction.q("person__home_area__code"), person_id=person_id)
        .select_related("person")
        .first()
    )
    if liaison is None:
        raise NotFound()
    return liaison


def _audit_liaison_change(*, actor: User, liaison: Liaison, **details: Any) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.PERSON_UPDATE,
        object_type="person",
        object_id=liaison.person_id,
        area_code=liaison.person.home_area_id,
        details=details,
    )


@transaction.atomic
def liaison_set_shifts(*, actor: User, person_id: int, shifts: list[tuple[time, time]]) -> Liaison:
    """Replace a liaison's shift windows (Asia/Shanghai wall-clock; an end before the start wraps midnight)."""
    liaison = _liaison_in(require(actor, Capability.MANAGE_PEOPLE), person_id)
    windows = sorted(set(shifts))
    if any(start == end for start, end in windows):
        raise InvalidInput(_("A shift must not start and end at the same time."), code="invalid_shifts")
    ShiftWindow.objects.filter(liaison=liaison).delete()
    ShiftWindow.objects.bulk_create([ShiftWindow(liaison=liaison, starts=s, ends=e) for s, e in windows])
    _audit_liaison_change(actor=actor, liaison=liaison, fields=["shifts"])
    return liaison


_KEEP: Any = object()  # "not given": an employer_id of None means "none"


@transaction.atomic
def liaison_update(*, actor: User, person_id: int, sector: str | None = None, employer_id: Any = _KEEP) -> Liaison:
    """Change a liaison's sector and/or employer (`employer_id=None` clears it).

    The employer must be inside the actor's jurisdiction and of the liaison's (new) sector:
    changing the sector of a liaison whose employer is of another sector needs a new
    employer, or None, in the same call.
    """
    jurisdiction = require(actor, Capability.MANAGE_PEOPLE)
    liaison = _liaison_in(jurisdiction, person_id)
    new_sector = _sector(sector) if sector is not None else liaison.sector
    if employer_id is _KEEP:
        employer = liaison.employer
    elif employer_id is None:
        employer = None
    else:
        employer = Employer.objects.filter(pk=employer_id).first()
        if employer is None or not jurisdiction.covers(employer.area_id):
            # As for teams: one outside the jurisdiction is answered as one that does not exist.
            raise NotFound(
                _("Unknown employer, or outside your jurisdiction."),
                code="unknown_employer",
                details={"employer_id": employer_id},
            )
    if employer is not None and employer.sector_id != new_sector.code:
        raise InvalidInput(
            _("The employer is of another sector."),
            code="employer_sector_mismatch",
            details={"employer_sector": employer.sector_id, "sector": new_sector.code},
        )
    changed = [
        name
        for name, old, new in (("sector", liaison.sector_id, new_sector.code), ("employer", liaison.employer, employer))
        if old != new
    ]
    if not changed:
        return liaison
    liaison.sector, liaison.employer = new_sector, employer
    liaison.save(update_fields=["sector", "employer", "updated_at"])
    _audit_liaison_change(
        actor=actor,
        liaison=liaison,
        fields=changed,
        sector=new_sector.code,
        employer_id=employer.pk if employer else None,
    )
    if "sector" in changed:  # sector coverage counts changed where they live and work
        places = {liaison.person.home_area_id, *liaison.work_areas.values_list("code", flat=True)}
        for township in sorted({code[:9] for code in places if len(code) >= 9}):
            transaction.on_commit(partial(coverage_changed, area_code=township))
    return liaison


@transaction.atomic
def liaison_set_work_areas(*, actor: User, person_id: int, area_codes: list[str]) -> Liaison:
    """Replace where else a liaison works (townships or villages inside the actor's jurisdiction)."""
    jurisdiction = require(actor, Capability.MANAGE_PEOPLE)
    liaison = _liaison_in(jurisdiction, person_id)
    areas = areas_within(jurisdiction, sorted(set(area_codes)))
    coarse = [a.code for a in areas if a.level not in (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)]
    if coarse:
        raise InvalidInput(
            _("A work area is a township or a village."), code="work_area_level", details={"area_codes": coarse}
        )
    before = set(liaison.work_areas.values_list("code", flat=True))
    liaison.work_areas.set(areas)
    after = {a.code for a in areas}
    _audit_liaison_change(actor=actor, liaison=liaison, fields=["work_areas"], work_areas=sorted(after))
    for township in sorted({code[:9] for code in before ^ after}):  # their member counts changed
        transaction.on_commit(partial(coverage_changed, area_code=township))
    return liaison


@transaction.atomic
def coverage_target_set(*, actor: User, area_code: str, sector: str, min_liaisons: int) -> CoverageTarget:
    """At least `min_liaisons` of `sector` in every township under the area; the most specific target wins,
    so 0 exempts the area from a broader one."""
    area = area_within(require(actor, Capability.MANAGE_PEOPLE), area_code)
    found = _sector(sector)
    if not (0 <= min_liaisons <= MAX_TARGET):
        raise InvalidInput(
            _("A coverage target is between 0 and 1000 liaisons."),
            code="invalid_target",
            details={"min_liaisons": min_liaisons},
        )
    previous = CoverageTarget.objects.filter(area=area, sector=found).values_list("min_liaisons", flat=True).first()
    target, _created = CoverageTarget.objects.update_or_create(
        area=area, sector=found, defaults={"min_liaisons": min_liaisons}
    )
    audit_record(
        actor=actor,
        action=AuditAction.COVERAGE_TARGET,
        object_type="coverage_target",
        object_id=target.pk,
        area_code=area.code,
        details={"sector": found.code, "min_liaisons": [previous, min_liaisons]},
    )
    return target


@transaction.atomic
def coverage_target_delete(*, actor: User, area_code: str, sector: str) -> None:
    """Drop an area's own target: the next broader one applies again."""
    jurisdiction = require(actor, Capability.MANAGE_PEOPLE)
    target = (
        CoverageTarget.objects.filter(jurisdiction.q("area__code")).filter(area_id=area_code, sector_id=sector).first()
    )
    if target is None:
        raise NotFound()
    audit_record(
        actor=actor,
        action=AuditAction.COVERAGE_TARGET,
        object_type="coverage_target",
        object_id=target.pk,
        area_code=area_code,
        details={"sector": sector, "min_liaisons": [target.min_liaisons, None]},
    )
    target.delete()


# --- import ----------------------------------------------------------------------------------


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    valid: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


def liaison_import(
    *,
    actor: User,
    content: bytes,
    dry_run: bool,
    skip_invalid: bool = False,
    progress: Callable[[int], object] | None = None,
    progress_key: str | None = None,
) -> ImportReport:
    """Check a CSV/XLSX of liaisons and, unless a dry run, upsert them by ID number: all or nothing.

    Any bad row makes the real run refuse (InvalidInput `import_has_errors`, with the per-row
    report in details) before anything is written, unless `skip_invalid`: then the valid rows are
    imported (all or nothing, still) and the bad ones are left out, each reported with why.
    Importing the same file again changes nothing.
    With a `progress_key`, the importer's dashboards see its progress (ImportProgress frames).
    """
    jurisdiction = require(actor, Capability.MANAGE_PEOPLE)
    feed = _progress_feed(actor, progress_key) if progress_key else None
    checked = check_rows(rows=read_rows(content), jurisdiction=jurisdiction, progress=_ticks(progress, feed))
    report = ImportReport(dry_run=dry_run, rows=checked.rows, valid=len(checked.valid), errors=checked.errors)
    refused = bool(checked.errors) and not dry_run and not skip_invalid
    if feed is not None:
        feed.phase("failed" if refused else "done" if dry_run else "writing")
    if refused:
        raise InvalidInput(
            _("Some rows are not valid; nothing was imported."),
            code="import_has_errors",
            details={
                "rows": checked.rows,
                "error_count": len(checked.errors),
                "errors": [e.__dict__ for e in checked.errors[:MAX_REPORTED_ERRORS]],
            },
        )
    if dry_run:
        report.created = sum(1 for r in checked.valid if r.existing_person_id is None)
        return report
    with transaction.atomic():
        report.created, report.updated, report.unchanged = apply_rows(actor=actor, rows=checked.valid)
        touched = sorted({r.township for r in checked.valid})
        audit_record(
            actor=actor,
            action=AuditAction.LIAISON_IMPORT,
            object_type="liaison_import",
            area_code=common_area(touched),
            details={
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "skipped": len(checked.errors),
            },
        )
        if report.created or report.updated:
            for township in touched:  # their member counts changed
                transaction.on_commit(partial(coverage_changed, area_code=township))
        if feed is not None:
            feed.phase("done")  # announced after the commit
    return report


def _progress_feed(actor: User, key: str) -> ImportProgressFeed:
    areas = sorted({g.area_id for g in grants_of(actor) if Capability.MANAGE_PEOPLE in CAPABILITIES.get(g.role, ())})
    return ImportProgressFeed(key=key, area_codes=areas, every=settings.LIAISON_IMPORT_PROGRESS_EVERY)


def _ticks(*callbacks: Callable[[int], object] | None) -> Callable[[int], object] | None:
    found = [c for c in callbacks if c is not None]
    if len(found) <= 1:
        return found[0] if found else None
    return lambda count: [c(count) for c in found]
