"""Exporting liaisons as a CSV that Excel in China opens (UTF-8 with BOM), every cell formula-safe."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from core.exports import spreadsheet_safe
from core.identity import mask_phone
from core.jurisdiction import jurisdiction_for
from core.models import AuditAction
from core.roles import Capability
from core.services.audit import audit_record
from liaisons.importing import COLUMNS, common_area
from liaisons.selectors import liaison_list

if TYPE_CHECKING:
    from django.contrib.auth.models import User

HEADER = [COLUMNS[key][0] for key in ("name", "phone", "sector", "employer", "township", "shifts")] + ["工作站"]


def liaison_export(*, actor: User, sector: str | None = None, area: str | None = None) -> str:
    """The liaisons the actor may see as CSV text; phones unmasked only where their role needs it. Audited."""
    liaisons = list(liaison_list(actor=actor, sector=sector, area=area).select_related("person__home_area"))
    reveal = jurisdiction_for(actor, Capability.VIEW_PERSONAL_DATA)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for liaison in liaisons:
        person = liaison.person
        writer.writerow(
            [
                spreadsheet_safe(v)
                for v in (
                    person.name,
                    person.phone if reveal.covers(person.home_area_id) else mask_phone(person.phone),
                    liaison.sector.name_zh,
                    liaison.employer.name if liaison.employer else "",
                    person.home_area.name,
                    ";".join(liaison.effective_shifts()),
                    liaison.station.name if liaison.station else "",
                )
            ]
        )
    codes = [liaison.person.home_area_id for liaison in liaisons]
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="liaison_list",
        area_code=common_area(codes),
        details={"rows": len(liaisons), "sector": sector, "area": area, "format": "csv"},
    )
    return out.getvalue()
