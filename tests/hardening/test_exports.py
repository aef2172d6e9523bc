"""Every CSV/XLSX export: no cell a spreadsheet would run as a formula; phones masked unless the role needs them.

The export endpoints are found in the OpenAPI schema (a CSV or XLSX response, or a `format`
parameter offering one), so a new export fails `test_every_export_endpoint_is_covered` until
it is added to EXPORTS below.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from core.identity import mask_phone
from core.models import AuditEntry, Hero, Team
from liaisons.models import Employer, Station
from tests.conftest import ApiClient
from tests.hardening.world import World, build_world

SPREADSHEET_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_today = timezone.localdate()
_range = {"since": (_today - timedelta(days=30)).isoformat(), "until": (_today + timedelta(days=30)).isoformat()}
_dt_range = {
    "since": (timezone.now() - timedelta(days=30)).isoformat(),
    "until": (timezone.now() + timedelta(days=1)).isoformat(),
}

# path -> the query strings to fetch it with
EXPORTS: dict[str, list[dict[str, str]]] = {
    "/api/v1/liaisons/export.csv": [{}],
    "/api/v1/heroes.csv": [{}, {"honour": "hero"}],
    "/api/v1/alerts/reports/response-times.csv": [_dt_range, {**_dt_range, "level": "township"}],
    "/api/v1/alerts/reports/response-times.xlsx": [_dt_range],
    "/api/v1/reports/evaluation.csv": [{"year": str(_today.year)}],
    "/api/v1/reports/evaluation.xlsx": [{"year": str(_today.year)}],
    "/api/v1/sessions/reports/attendance": [
        {**_range, "by": by, "format": fmt}
        for by in ("person", "team", "township", "rollup")
        for fmt in ("csv", "xlsx")
    ],
}

EVIL = {
    "person": '=HYPERLINK("http://evil.example","点我")',
    "liaison": "+86 cmd|' /C calc'!A0",
    "employer": "-2+3",
    "station": "@SUM(1+1)",
    "team": "\t=1+1",
    "hero": "=CMD()",
}


def export_paths(schema: dict[str, Any]) -> set[str]:
    found = set()
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        content = get.get("responses", {}).get("200", get.get("responses", {}).get(200, {})).get("content", {})
        formats = [p for p in get.get("parameters", []) if p["name"] == "format" and "csv" in str(p.get("schema", {}))]
        if path.endswith((".csv", ".xlsx")) or any(t in content for t in SPREADSHEET_TYPES) or formats:
            found.add(path)
    return found


def test_every_export_endpoint_is_covered(client: Any, db: None) -> None:
    assert export_paths(client.get("/api/v1/openapi.json").json()) == set(EXPORTS)


@pytest.fixture
def world(hebi: None, settings: Any) -> World:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "exports"}}
    built = build_world(lambda token: ApiClient(token))
    inside = built.inside
    inside.person.name = EVIL["person"]
    inside.person.save(update_fields=["name"])
    inside.liaison.name = EVIL["liaison"]
    inside.liaison.save(update_fields=["name"])
    Employer.objects.filter(pk=inside.employer_id).update(name=EVIL["employer"])
    Station.objects.filter(pk=inside.station_id).update(name=EVIL["station"])
    Team.objects.filter(pk=inside.team_id).update(name=EVIL["team"])
    Hero.objects.filter(pk=inside.hero_id).update(name=EVIL["hero"])
    return built


def cells(response: Any) -> list[str]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith("text/csv"):
        text = content.decode("utf-8-sig")
        return [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    return [
        str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c is not None
    ]


# Exports of whole counties: a township coordinator gets 403 (the jurisdiction matrix checks that).
COUNTY_AND_ABOVE = {"/api/v1/reports/evaluation.csv", "/api/v1/reports/evaluation.xlsx"}


def _fetch_all(client: ApiClient, *, county_or_above: bool = True) -> dict[str, list[str]]:
    out = {}
    for path, variants in EXPORTS.items():
        if path in COUNTY_AND_ABOVE and not county_or_above:
            continue
        for params in variants:
            response = client.get(path, **params)
            assert response.status_code == 200, (path, params, response.content[:200])
            out[f"{path}?{params}"] = cells(response)
    return out


def test_no_exported_cell_starts_like_a_formula_and_the_defused_values_are_there(world: World) -> None:
    exported = _fetch_all(ApiClient(world.tokens["county"]))

    dangerous = {key: [c for c in found if c.startswith(FORMULA_START)] for key, found in exported.items()}
    assert {k: v for k, v in dangerous.items() if v} == {}
    everything = {c for found in exported.values() for c in found}
    assert "'" + EVIL["person"] in everything  # attendance by person
    assert "'" + EVIL["liaison"] in everything  # liaison export
    assert "'" + EVIL["employer"] in everything
    assert "'" + EVIL["station"] in everything
    assert "'" + EVIL["team"] in everything  # attendance by team
    assert "'" + EVIL["hero"] in everything  # heroes export


def test_each_export_is_audited_once_with_the_format_of_the_file_it_gave(world: World) -> None:
    client = ApiClient(world.tokens["county"])
    for path, variants in EXPORTS.items():
        for params in variants:
            before = AuditEntry.objects.filter(action="export").count()
            response = client.get(path, **params)

            assert response.status_code == 200, (path, params)
            entries = list(AuditEntry.objects.filter(action="export").order_by("id")[before:])
            given = "csv" if response["Content-Type"].startswith("text/csv") else "xlsx"
            assert [e.details["format"] for e in entries] == [given], (path, params)


def test_exports_show_phones_masked_to_a_township_coordinator_and_unmasked_audited_to_the_county(
    world: World,
) -> None:
    phone = world.inside.liaison.phone

    township = "".join(
        _fetch_all(ApiClient(world.tokens["township"]), county_or_above=False).get("/api/v1/liaisons/export.csv?{}", [])
    )
    before = AuditEntry.objects.filter(action="export").count()
    county = "".join(_fetch_all(ApiClient(world.tokens["county"])).get("/api/v1/liaisons/export.csv?{}", []))

    assert phone not in township
    assert mask_phone(phone) in township
    assert phone in county
    assert AuditEntry.objects.filter(action="export").count() > before
