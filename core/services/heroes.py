"""Recording honoured heroes (见义勇为) and exporting the register, always inside the actor's jurisdiction."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput, NotFound
from core.exports import spreadsheet_safe
from core.jurisdiction import Jurisdiction, area_within, require
from core.models import AuditAction, Hero, Honour, Person
from core.partial import UNSET, Clean, assign, given
from core.roles import Capability
from core.selectors import hero_list
from core.services.audit import audit_record, export_audit

if TYPE_CHECKING:
    from django.contrib.auth.models import User

EXPORT_HEADER = ["姓名", "所在地区", "地区代码", "荣誉", "事迹", "事迹日期", "授予日期", "授予单位", "成员编号"]


def _member(jurisdiction: Jurisdiction, person_id: int) -> Person:
    person = Person.objects.filter(jurisdiction.q("home_area__code")).filter(pk=person_id).first()
    if person is None:
        raise InvalidInput(_("Unknown person."), code="unknown_person", details={"person_id": person_id})
    return person


def _check_dates(*, deed_date: date, honoured_on: date) -> None:
    if honoured_on < deed_date:
        raise InvalidInput(
            _("The honour cannot be given before the deed."),
            code="honoured_before_deed",
            details={"deed_date": deed_date.isoformat(), "honoured_on": honoured_on.isoformat()},
        )


@transaction.atomic
def hero_create(
    *,
    actor: User,
    area_code: str,
    deed: str,
    deed_date: date,
    honour: str,
    honoured_on: date,
    name: str | None = None,
    person_id: int | None = None,
    awarding_body: str = "",
) -> Hero:
    """Record an honour; a member's name is taken from their record unless another is given."""
    jurisdiction = require(actor, Capability.MANAGE_PEOPLE)
    area = area_within(jurisdiction, area_code)
    person = _member(jurisdiction, person_id) if person_id is not None else None
    name = (name or "").strip() or (person.name if person is not None else "")
    if not name:
        raise InvalidInput(
            _("Give the hero's name, or the member they are."), code="name_required", details={"field": "name"}
        )
    _check_dates(deed_date=deed_date, honoured_on=honoured_on)
    hero = Hero.objects.create(
        person=person,
        name=name,
        home_area=area,
        deed=deed.strip(),
        deed_date=deed_date,
        honour=Honour(honour),
        honoured_on=honoured_on,
        awarding_body=awarding_body.strip(),
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.HERO_CREATE,
        object_type="hero",
        object_id=hero.pk,
        area_code=area.code,
        details={"honour": hero.honour, "person_id": hero.person_id},
    )
    return hero


# What hero_update stores as it is given (but for the stripped texts and the honour's enum).
_PLAIN: dict[str, Clean] = {
    "name": str.strip,
    "deed": str.strip,
    "deed_date": None,
    "honour": Honour,
    "honoured_on": None,
    "awarding_body": str.strip,
}


@transaction.atomic
def hero_update(
    *,
    actor: User,
    hero_id: int,
    person_id: int | None = UNSET,
    name: str = UNSET,
    area_code: str = UNSET,
    deed: str = UNSET,
    deed_date: date = UNSET,
    honour: str = UNSET,
    honoured_on: date = UNSET,
    awarding_body: str = UNSET,
) -> Hero:
    """Change the given fields; the record and any new area must both be in the actor's jurisdiction."""
    jurisdiction = require(actor, Capability.MANAGE_PEOPLE)
    hero = Hero.objects.select_for_update().filter(jurisdiction.q("home_area__code")).filter(pk=hero_id).first()
    if hero is None:
        raise NotFound()
    changes = given(
        person=person_id,
        name=name,
        home_area=area_code,
        deed=deed,
        deed_date=deed_date,
        honour=honour,
        honoured_on=honoured_on,
        awarding_body=awarding_body,
    )
    if person_id is not UNSET:
        hero.person = _member(jurisdiction, person_id) if person_id is not None else None
    if area_code is not UNSET:
        hero.home_area = area_within(jurisdiction, area_code)
    assign(hero, changes, _PLAIN)
    _check_dates(deed_date=hero.deed_date, honoured_on=hero.honoured_on)
    hero.save()
    audit_record(
        actor=actor,
        action=AuditAction.HERO_UPDATE,
        object_type="hero",
        object_id=hero.pk,
        area_code=hero.home_area_id,
        details={"fields": list(changes)},
    )
    return hero


def _honour_zh(honour: str) -> str:
    # The column titles are Chinese (the sheet is for Excel in China), so the honour's name is too.
    with translation.override("zh-hans"):
        return str(Honour(honour).label)


def hero_export(
    *,
    actor: User,
    area: str | None = None,
    honour: str | None = None,
    year: int | None = None,
    search: str | None = None,
) -> str:
    """The heroes the actor may see as CSV text (UTF-8 with BOM, for Excel), every cell formula-safe. Audited."""
    heroes = list(hero_list(actor=actor, area=area, honour=honour, year=year, search=search))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    for hero in heroes:
        row = (
            hero.name,
            hero.home_area.name,
            hero.home_area_id,
            _honour_zh(hero.honour),
            hero.deed,
            hero.deed_date.isoformat(),
            hero.honoured_on.isoformat(),
            hero.awarding_body,
            hero.person_id or "",
        )
        writer.writerow([spreadsheet_safe(v) for v in row])
    # Filed under the area exported when it is the actor's to see (an entry under another county's
    # area would show that county's staff an export of nothing of theirs).
    scope = area if area and require(actor, Capability.VIEW_PEOPLE).covers(area) else None
    export_audit(
        actor=actor,
        capability=Capability.VIEW_PEOPLE,
        object_type="hero_list",
        area=scope,
        fmt="csv",
        details={"rows": len(heroes), "area": area, "honour": honour, "year": year, "q": search},
    )
    return out.getvalue()
