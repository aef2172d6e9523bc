"""POST /api/v1/liaisons/imports: multipart upload, dry run by default, counts in the answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Person
from liaisons.models import Liaison
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, ApiClient
from tests.liaisons.sheets import liaison_row, to_csv

pytestmark = pytest.mark.django_db


def _upload(client: ApiClient, content: bytes, **params: str) -> object:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.client.post(
        f"/api/v1/liaisons/imports?{query}",
        {"file": SimpleUploadedFile("liaisons.csv", content, content_type="text/csv")},
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )


def test_an_upload_is_a_dry_run_unless_asked_otherwise(as_role: Callable[..., ApiClient]) -> None:
    client = as_role("county_coordinator", QIXIAN)
    rows = [liaison_row(n) for n in range(3)]
    rows[1][2] = "12345"

    response = _upload(client, to_csv(rows))

    assert response.status_code == 200  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert {k: body[k] for k in ("dry_run", "rows", "valid", "created", "error_count")} == {
        "dry_run": True,
        "rows": 3,
        "valid": 2,
        "created": 2,
        "error_count": 1,
    }
    assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [(3, "phone", "invalid_phone")]
    assert Liaison.objects.count() == 0


def test_a_real_run_with_a_bad_row_is_422_with_the_report(as_role: Callable[..., ApiClient]) -> None:
    client = as_role("county_coordinator", QIXIAN)
    rows = [liaison_row(n) for n in range(3)]
    rows[2][4] = "航天"

    response = _upload(client, to_csv(rows), dry_run="false")

    assert response.status_code == 422  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["code"] == "import_has_errors"
    assert [(e["row"], e["code"]) for e in body["details"]["errors"]] == [(4, "unknown_sector")]
    assert Liaison.objects.count() == 0


def test_a_real_run_that_skips_invalid_rows_imports_the_rest_and_answers_201_with_the_report(
    as_role: Callable[..., ApiClient],
) -> None:
    client = as_role("county_coordinator", QIXIAN)
    rows = [liaison_row(n) for n in range(3)]
    rows[2][4] = "航天"

    response = _upload(client, to_csv(rows), dry_run="false", skip_invalid="true")

    assert response.status_code == 201  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert (body["rows"], body["valid"], body["created"], body["error_count"]) == (3, 2, 2, 1)
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(4, "unknown_sector")]
    assert Liaison.objects.count() == 2


def test_a_real_run_imports_and_answers_201_with_counts(as_role: Callable[..., ApiClient]) -> None:
    client = as_role("county_coordinator", QIXIAN)

    response = _upload(client, to_csv([liaison_row(n) for n in range(5)]), dry_run="false")

    assert response.status_code == 201  # type: ignore[attr-defined]
    assert response.json()["created"] == 5  # type: ignore[attr-defined]
    assert Liaison.objects.count() == 5


def test_a_volunteer_may_not_import(as_role: Callable[..., ApiClient]) -> None:
    response = _upload(as_role("volunteer", QIXIAN_TOWNSHIP), to_csv([liaison_row(1)]))

    assert response.status_code == 403  # type: ignore[attr-defined]


def test_an_upload_over_the_limit_is_413_before_it_is_read(as_role: Callable[..., ApiClient], settings: object) -> None:
    client = as_role("county_coordinator", QIXIAN)
    settings.API_MAX_UPLOAD_BYTES = 4096  # type: ignore[attr-defined]

    response = _upload(client, b"x" * 8192)

    assert response.status_code == 413  # type: ignore[attr-defined]
    assert response.json()["code"] == "payload_too_large"  # type: ignore[attr-defined]
    assert Person.objects.filter(liaison__isnull=False).count() == 0


def test_the_export_neutralises_cells_that_would_start_a_formula(as_role: Callable[..., ApiClient]) -> None:
    client = as_role("county_coordinator", QIXIAN)
    rows = [liaison_row(n) for n in range(2)]
    rows[0][1] = "=HYPERLINK(1)"
    rows[1][5] = "@SUM(A1)"
    _upload(client, to_csv(rows), dry_run="false")

    response = client.get("/api/v1/liaisons/export.csv")

    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text
    assert "'@SUM(A1)" in text
    assert "\n=" not in text
    assert ",=" not in text
    assert ",@" not in text


def test_a_progress_key_streams_the_imports_progress_to_the_importers_dashboards(
    as_role: Callable[..., ApiClient],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.LIAISON_IMPORT_PROGRESS_EVERY = 10
    frames: list[tuple[str, int, str, str]] = []
    monkeypatch.setattr(
        "realtime.transport.announce",
        lambda *, body, area_code, key: (
            frames.append((body["phase"], body["rows"], area_code, key))
            if body["type"] == "liaisons.import_progress"
            else None
        ),
    )
    client = as_role("county_coordinator", QIXIAN)

    with django_capture_on_commit_callbacks(execute=True):  # a request is not one transaction: frames leave at once
        response = _upload(client, to_csv([liaison_row(n) for n in range(25)]), dry_run="false", progress_key="big-1")

    assert response.status_code == 201  # type: ignore[attr-defined]
    assert frames == [
        ("checking", 10, QIXIAN, "import:big-1"),
        ("checking", 20, QIXIAN, "import:big-1"),
        ("writing", 25, QIXIAN, "import:big-1"),
        ("done", 25, QIXIAN, "import:big-1"),
    ]


def test_a_failing_import_reports_failed_and_without_a_key_nothing_is_announced(
    as_role: Callable[..., ApiClient], monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    phases: list[str] = []
    monkeypatch.setattr(
        "realtime.transport.announce",
        lambda *, body, area_code, key: (
            phases.append(body["phase"]) if body["type"] == "liaisons.import_progress" else None
        ),
    )
    client = as_role("county_coordinator", QIXIAN)
    rows = [liaison_row(n) for n in range(3)]
    rows[1][2] = "12345"

    with django_capture_on_commit_callbacks(execute=True):
        failed = _upload(client, to_csv(rows), dry_run="false", progress_key="k")
        quiet = _upload(client, to_csv(rows))
        bad_key = _upload(client, to_csv(rows), progress_key="no spaces!")

    assert (failed.status_code, quiet.status_code, bad_key.status_code) == (422, 200, 422)  # type: ignore[attr-defined]
    assert phases == ["failed"]


def test_the_template_is_a_blank_sheet_that_the_import_reads(as_role: Callable[..., ApiClient]) -> None:
    client = as_role("township_coordinator", QIXIAN_TOWNSHIP)

    template = client.get("/api/v1/liaisons/imports/template")

    assert template.status_code == 200
    assert template["Content-Disposition"] == 'attachment; filename="liaisons-template.csv"'
    assert template.content.decode("utf-8-sig").strip() == "姓名,手机号,身份证号,行业,单位,所属乡镇/街道,工作时段"
    checked = _upload(client, template.content)
    assert checked.status_code == 200  # type: ignore[attr-defined]
    assert checked.json()["rows"] == 0  # type: ignore[attr-defined]


def test_the_columns_say_which_titles_are_read_and_which_are_required(as_role: Callable[..., ApiClient]) -> None:
    client = as_role("county_coordinator", QIXIAN)

    columns = client.get("/api/v1/liaisons/imports/columns").json()["columns"]

    assert [(c["key"], c["title"], c["required"]) for c in columns] == [
        ("name", "姓名", True),
        ("phone", "手机号", True),
        ("id_number", "身份证号", True),
        ("sector", "行业", True),
        ("employer", "单位", False),
        ("township", "所属乡镇/街道", True),
        ("shifts", "工作时段", False),
    ]
    assert "手机号码" in columns[1]["aliases"]
