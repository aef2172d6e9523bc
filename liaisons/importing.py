"""Reading and checking a spreadsheet of liaisons (CSV in UTF-8, UTF-8 with BOM or GBK; or XLSX).

This module only reads: it turns a file into checked rows and a per-row report.
`liaisons.services.liaison_import` writes them, all or nothing.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput, PayloadTooLarge, ZhengqiError
from core.identity import normalize_phone
from core.jurisdiction import OUTRANKS_ACTOR, Jurisdiction, outranking
from core.models import Area, AreaLevel, Person
from core.services.people import IdNumber
from liaisons.models import Sector
from liaisons.sectors import ALIASES

# The columns a Chinese association's sheet uses, with a few common variants and English names.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "phone": ("手机号", "手机号码", "手机", "联系电话", "phone"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "id_number"),
    "sector": ("行业", "所属行业", "行业类别", "sector"),
    "employer": ("单位", "工作单位", "所在单位", "employer"),
    "township": ("所属乡镇/街道", "所属乡镇（街道）", "乡镇/街道", "所属乡镇", "所属街道", "township"),
    "shifts": ("工作时段", "班次", "shifts"),
}
REQUIRED = ("name", "phone", "id_number", "sector", "township")
MAX_REPORTED_ERRORS = 1000
_SHIFT = re.compile(r"^(\d{1,2}):(\d{2})\s*[-~－—至]\s*(\d{1,2}):(\d{2})$")
_SHIFT_SEPARATORS = re.compile(r"[;；,，、/\s]+")


@dataclass(frozen=True)
class RowError:
    row: int  # the line in the sheet (the header is line 1)
    field: str
    code: str
    message: str


@dataclass
class CheckedRow:
    row: int
    name: str
    phone: str
    id_number: IdNumber
    sector: str
    township: str
    employer: str
    shifts: tuple[tuple[time, time], ...]
    existing_person_id: int | None = None


@dataclass
class Checked:
    rows: int = 0
    valid: list[CheckedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def template_csv() -> bytes:
    """A blank sheet with the importer's own column titles (UTF-8 with a BOM, so Excel opens it as such)."""
    out = io.StringIO(newline="")
    csv.writer(out).writerow([names[0] for names in COLUMNS.values()])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


# --- reading ---------------------------------------------------------------------------------


def common_area(codes: list[str]) -> str:
    """The narrowest division (city, county or township prefix) containing every code, for audit entries."""
    if not codes:
        return ""
    shared = os.path.commonprefix(codes)  # noqa: RUF071 (division codes are digit strings: char-wise is right)
    return next((shared[:n] for n in (12, 9, 6, 4) if len(shared) >= n), "")


def _unreadable(reason: str) -> InvalidInput:
    return InvalidInput(
        _("The file could not be read as CSV (UTF-8 or GBK) or XLSX."),
        code="unreadable_file",
        details={"reason": reason},
    )


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="strict")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")  # a superset of GBK and GB2312, which Excel in China writes
    except UnicodeDecodeError:
        raise _unreadable("encoding") from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed into Excel comes back as 13800138000.0
    return str(value).strip()


def read_rows(content: bytes) -> Iterator[list[str]]:
    """Every row of the file's first sheet as stripped strings (header included)."""
    if len(content) > settings.API_MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(
            _("The file is too large to import; split it into smaller files."),
            code="import_too_large",
            details={"max_bytes": settings.API_MAX_UPLOAD_BYTES},
        )
    if content.startswith(b"PK\x03\x04"):
        yield from _xlsx_rows(content)
        return
    if b"\x00" in content[:4096]:
        raise _unreadable("binary")
    try:
        for row in csv.reader(io.StringIO(_decode(content), newline="")):
            yield [cell.strip() for cell in row]
    except csv.Error:
        raise _unreadable("csv") from None


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in values]
        book.close()
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, IndexError, OSError) as exc:
        raise _unreadable(f"xlsx: {type(exc).__name__}") from None


def _header_map(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    normalised = [h.replace(" ", "").replace("\ufeff", "").lower() for h in header]
    for key, names in COLUMNS.items():
        for index, title in enumerate(normalised):
            if title in {n.lower() for n in names}:
                found.setdefault(key, index)
    missing = [COLUMNS[key][0] for key in REQUIRED if key not in found]
    if missing:
        raise InvalidInput(_("The sheet lacks required columns."), code="missing_columns", details={"missing": missing})
    return found


# --- checking --------------------------------------------------------------------------------


def _sector_lookup() -> dict[str, str]:
    lookup = {alias: code for alias, code in ALIASES.items()}
    for code, zh, en in Sector.objects.values_list("code", "name_zh", "name_en"):
        lookup.update({code: code, zh: code, en.lower(): code})
    return lookup


def _township_lookup(jurisdiction: Jurisdiction) -> dict[str, str | None]:
    """Township name or code -> code, inside the jurisdiction; None marks a name two townships share."""
    lookup: dict[str, str | None] = {}
    for code, name in Area.objects.filter(jurisdiction.q("code"), level=AreaLevel.TOWNSHIP).values_list("code", "name"):
        lookup[code] = code
        lookup[name] = None if name in lookup and lookup[name] != code else code
    return lookup


def parse_shifts(raw: str) -> tuple[tuple[time, time], ...]:
    """'10:00-14:00;17:00-21:00' -> ((10:00, 14:00), (17:00, 21:00)); ValueError when malformed."""
    windows = []
    for part in filter(None, _SHIFT_SEPARATORS.split(raw.strip())):
        match = _SHIFT.match(part)
        if not match:
            raise ValueError(part)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = time(h1 % 24 if h1 == 24 else h1, m1), time(0 if h2 == 24 else h2, m2)
        if start == end:
            raise ValueError(part)
        windows.append((start, end))
    return tuple(sorted(set(windows)))


_MESSAGES = {
    "missing_name": _("The name is missing or longer than 64 characters."),
    "unknown_sector": _("Unknown sector."),
    "unknown_township": _("Unknown township or street, or outside your jurisdiction."),
    "ambiguous_township": _("Two townships have this name; use the division code."),
    "invalid_shifts": _("Shifts must look like 10:00-14:00;17:00-21:00."),
    "invalid_employer": _("The employer name is longer than 128 characters."),
    "duplicate_in_file": _("The same person appears on an earlier line of this file."),
    "duplicate_in_database": _("Someone else is already registered with this phone number or ID number."),
    "person_outranks_actor": OUTRANKS_ACTOR,
}


def _error(row: int, field_name: str, code: str, message: Any = None) -> RowError:
    return RowError(row=row, field=field_name, code=code, message=str(message or _MESSAGES[code]))


def check_rows(
    *, rows: Iterator[list[str]], jurisdiction: Jurisdiction, progress: Callable[[int], object] | None = None
) -> Checked:
    """Validate every row; duplicates are judged against earlier rows and against the database."""
    try:
        header = next(rows)
    except StopIteration:
        raise InvalidInput(_("The file is empty."), code="empty_file") from None
    columns = _header_map(header)
    sectors, townships = _sector_lookup(), _township_lookup(jurisdiction)
    checked = Checked()
    seen_ids: dict[str, int] = {}
    seen_phones: dict[str, int] = {}
    for line, raw in enumerate(rows, start=2):
        if not any(raw):
            continue
        checked.rows += 1
        if checked.rows > settings.LIAISON_IMPORT_MAX_ROWS:
            raise PayloadTooLarge(
                _("The file has too many rows to import at once."),
                code="too_many_rows",
                details={"max_rows": settings.LIAISON_IMPORT_MAX_ROWS},
            )
        if progress is not None:
            progress(1)
        value = {key: (raw[index] if index < len(raw) else "") for key, index in columns.items()}
        row_errors, parsed = _check_one(line, value, sectors=sectors, townships=townships)
        if parsed is not None:
            if parsed.id_number.lookup_hash in seen_ids or parsed.phone in seen_phones:
                first = seen_ids.get(parsed.id_number.lookup_hash) or seen_phones[parsed.phone]
                row_errors.append(
                    _error(
                        line,
                        "id_number" if parsed.id_number.lookup_hash in seen_ids else "phone",
                        "duplicate_in_file",
                        _("The same ID or phone number is on line %(line)s.") % {"line": first},
                    )
                )
            else:
                seen_ids[parsed.id_number.lookup_hash] = line
                seen_phones[parsed.phone] = line
        if row_errors:
            checked.errors.extend(row_errors)
        elif parsed is not None:
            checked.valid.append(parsed)
    _check_database(checked, jurisdiction)
    return checked


def _check_one(
    line: int, value: dict[str, str], *, sectors: dict[str, str], townships: dict[str, str | None]
) -> tuple[list[RowError], CheckedRow | None]:
    errors: list[RowError] = []
    name = value["name"]
    if not name or len(name) > 64:
        errors.append(_error(line, "name", "missing_name"))
    phone = ident = None
    try:
        phone = normalize_phone(value["phone"])
    except ZhengqiError as exc:
        errors.append(_error(line, "phone", exc.code, exc.message))
    try:
        ident = IdNumber.from_raw(value["id_number"])
    except ZhengqiError as exc:
        errors.append(_error(line, "id_number", exc.code, exc.message))
    sector = sectors.get(value["sector"]) or sectors.get(value["sector"].lower())
    if sector is None:
        errors.append(_error(line, "sector", "unknown_sector"))
    township = townships.get(value["township"], "")
    if township is None:
        errors.append(_error(line, "township", "ambiguous_township"))
    elif not township:
        errors.append(_error(line, "township", "unknown_township"))
    employer = value.get("employer", "")
    if len(employer) > 128:
        errors.append(_error(line, "employer", "invalid_employer"))
    shifts: tuple[tuple[time, time], ...] = ()
    try:
        shifts = parse_shifts(value.get("shifts", ""))
    except ValueError:
        errors.append(_error(line, "shifts", "invalid_shifts"))
    if errors or phone is None or ident is None or sector is None or not township:
        return errors, None
    return errors, CheckedRow(line, name, phone, ident, sector, township, employer, shifts)


def _check_database(checked: Checked, jurisdiction: Jurisdiction) -> None:
    """Match rows to people already registered: the same ID number inside the jurisdiction is an update.

    Unless that person holds a role beyond the jurisdiction: `person_update` refuses to change them
    (`person_outranks_actor`), and so does their row.
    """
    from django.contrib.auth import get_user_model

    by_hash: dict[str, tuple[int, str, str]] = {}
    outranks: set[int] = set()
    by_phone: dict[str, str | None] = {}
    usernames: set[str] = set()
    for start in range(0, len(checked.valid), 500):
        batch = checked.valid[start : start + 500]
        matched = Person.objects.filter(id_number_hash__in=[r.id_number.lookup_hash for r in batch]).values_list(
            "pk", "id_number_hash", "phone", "home_area_id"
        )
        ours = []
        for pk, id_hash, phone, home in matched:
            if id_hash is not None:
                by_hash[id_hash] = (pk, phone, home)
                if jurisdiction.covers(home):
                    ours.append(pk)
        outranks |= outranking(jurisdiction, ours)
        by_phone.update(
            Person.objects.filter(phone__in=[r.phone for r in batch]).values_list("phone", "id_number_hash")
        )
        usernames.update(
            get_user_model().objects.filter(username__in=[r.phone for r in batch]).values_list("username", flat=True)
        )
    kept = []
    for row in checked.valid:
        match = by_hash.get(row.id_number.lookup_hash)
        if match is not None and match[0] in outranks:
            checked.errors.append(_error(row.row, "id_number", "person_outranks_actor"))
            continue
        clash = (
            # Someone outside the importer's jurisdiction: not theirs to change.
            (match is not None and not jurisdiction.covers(match[2]))
            # The phone belongs to a different person.
            or (row.phone in by_phone and by_phone[row.phone] != row.id_number.lookup_hash)
            # A new person's login would be their phone number, and that login is taken.
            or (match is None and row.phone in usernames)
        )
        if clash:
            checked.errors.append(_error(row.row, "id_number" if match else "phone", "duplicate_in_database"))
            continue
        row.existing_person_id = match[0] if match else None
        kept.append(row)
    checked.valid = kept
    checked.errors.sort(key=lambda e: e.row)
