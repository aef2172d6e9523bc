"""Writing checked import rows: new people in bulk, existing ones updated only where something differs.

Called by `liaisons.services.liaison_import` inside its transaction, after every row
passed its checks. New people get what `liaisons.registering.liaison_register` gives
them (a login named by the phone number with no usable password, the liaison role at
home with the profile), in bulk, because an association's sheet has thousands of rows.
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from core.models import Person, RoleGrant
from core.roles import Role
from liaisons.importing import CheckedRow
from liaisons.models import Employer, Liaison, ShiftWindow
from liaisons.sectors import employer_kind_for

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_BATCH = 1000


def _employers(rows: list[CheckedRow]) -> dict[tuple[str, str], int]:
    """(township, employer name) -> employer id, creating the employers a sheet names for the first time."""
    wanted = {(r.township, r.employer): r.sector for r in rows if r.employer}
    if not wanted:
        return {}
    found = {
        (area, name): pk
        for pk, area, name in Employer.objects.filter(
            area_id__in={k[0] for k in wanted}, name__in={k[1] for k in wanted}
        ).values_list("pk", "area_id", "name")
    }
    missing = [
        Employer(area_id=area, name=name, sector_id=sector, kind=employer_kind_for(sector))
        for (area, name), sector in wanted.items()
        if (area, name) not in found
    ]
    if missing:
        Employer.objects.bulk_create(missing, batch_size=_BATCH)
        found = {
            (area, name): pk
            for pk, area, name in Employer.objects.filter(
                area_id__in={k[0] for k in wanted}, name__in={k[1] for k in wanted}
            ).values_list("pk", "area_id", "name")
        }
    return found


def apply_rows(*, actor: User, rows: list[CheckedRow]) -> tuple[int, int, int]:
    """Create or update each row's person and liaison profile. Returns (created, updated, unchanged)."""
    employers = _employers(rows)
    new = [r for r in rows if r.existing_person_id is None]
    old = [r for r in rows if r.existing_person_id is not None]
    _create(actor=actor, rows=new, employers=employers)
    updated = _update(actor=actor, rows=old, employers=employers)
    return len(new), updated, len(old) - updated


def _create(*, actor: User, rows: list[CheckedRow], employers: dict[tuple[str, str], int]) -> None:
    if not rows:
        return
    user_model = get_user_model()
    unusable = make_password(None)
    user_model.objects.bulk_create([user_model(username=r.phone, password=unusable) for r in rows], batch_size=_BATCH)
    user_ids = dict(user_model.objects.filter(username__in=[r.phone for r in rows]).values_list("username", "id"))
    Person.objects.bulk_create(
        [
            Person(
                user_id=user_ids[r.phone],
                name=r.name,
                phone=r.phone,
                id_number_encrypted=r.id_number.encrypted,
                id_number_hash=r.id_number.lookup_hash,
                id_number_last4=r.id_number.last4,
                home_area_id=r.township,
            )
            for r in rows
        ],
        batch_size=_BATCH,
    )
    person_ids = dict(Person.objects.filter(phone__in=[r.phone for r in rows]).values_list("phone", "pk"))
    RoleGrant.objects.bulk_create(
        [RoleGrant(user_id=user_ids[r.phone], role=Role.LIAISON, area_id=r.township, granted_by=actor) for r in rows],
        batch_size=_BATCH,
    )
    Liaison.objects.bulk_create(
        [
            Liaison(
                person_id=person_ids[r.phone], sector_id=r.sector, employer_id=employers.get((r.township, r.employer))
            )
            for r in rows
        ],
        batch_size=_BATCH,
    )
    liaison_ids = dict(Liaison.objects.filter(person_id__in=person_ids.values()).values_list("person_id", "pk"))
    ShiftWindow.objects.bulk_create(
        [
            ShiftWindow(liaison_id=liaison_ids[person_ids[r.phone]], starts=s, ends=e)
            for r in rows
            for s, e in r.shifts  # without shifts of their own, their sector's apply
        ],
        batch_size=_BATCH,
    )


def _update(*, actor: User, rows: list[CheckedRow], employers: dict[tuple[str, str], int]) -> int:
    """Bring existing people in line with their rows; a row that matches what is stored writes nothing."""
    if not rows:
        return 0
    ids = [r.existing_person_id for r in rows if r.existing_person_id is not None]
    people = {p.pk: p for p in Person.objects.filter(pk__in=ids).select_related("liaison")}
    shifts: dict[int, set[tuple[time, time]]] = {}
    for pid, s, e in ShiftWindow.objects.filter(liaison__person_id__in=ids).values_list(
        "liaison__person_id", "starts", "ends"
    ):
        shifts.setdefault(pid, set()).add((s, e))
    grants = set(
        RoleGrant.objects.filter(user__person__pk__in=ids, role=Role.LIAISON).values_list("user__person__pk", "area_id")
    )
    now = timezone.now()
    changed = 0
    for row in rows:
        person = people[row.existing_person_id or 0]
        wrote = False
        if (person.name, person.phone, person.home_area_id) != (row.name, row.phone, row.township):
            Person.objects.filter(pk=person.pk).update(
                name=row.name, phone=row.phone, home_area_id=row.township, updated_at=now
            )
            wrote = True
        employer_id = employers.get((row.township, row.employer)) if row.employer else None
        liaison = getattr(person, "liaison", None)
        if liaison is None:
            liaison = Liaison.objects.create(person=person, sector_id=row.sector, employer_id=employer_id)
            wrote = True
        elif (liaison.sector_id, liaison.employer_id) != (row.sector, employer_id or liaison.employer_id):
            Liaison.objects.filter(pk=liaison.pk).update(
                sector_id=row.sector, employer_id=employer_id or liaison.employer_id, updated_at=now
            )
            wrote = True
        if row.shifts and shifts.get(person.pk, set()) != set(row.shifts):
            ShiftWindow.objects.filter(liaison=liaison).delete()
            ShiftWindow.objects.bulk_create([ShiftWindow(liaison=liaison, starts=s, ends=e) for s, e in row.shifts])
            wrote = True
        if (person.pk, row.township) not in grants and person.user_id is not None:
            RoleGrant.objects.get_or_create(
                user_id=person.user_id, role=Role.LIAISON, area_id=row.township, defaults={"granted_by": actor}
            )
            wrote = True
        changed += wrote
    return changed
