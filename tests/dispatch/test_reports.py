from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from core.exports import XLSX
from core.models import Area, AuditEntry
from dispatch.models import Alert
from tests.conftest import QIBIN, QIBIN_TOWNSHIP, QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - timedelta(days=2)


def _alert(area: str, kind: str, accept_s: float | None, scene_s: float | None = None) -> Alert:
    alert = Alert.objects.create(
        kind=kind,
        severity="severe",
        title="t",
        area_id=area,
        raised_level="county",
        first_accepted_at=T0 + timedelta(seconds=accept_s) if accept_s is not None else None,
        first_on_scene_at=T0 + timedelta(seconds=scene_s) if scene_s is not None else None,
    )
    Alert.objects.filter(pk=alert.pk).update(created_at=T0)  # auto_now_add ignores the given value
    return alert


@pytest.fixture
def history():
    for accept in (10, 20, 30, 40, 50, 60, 70, 80, 90, 100):
        _alert(QIBIN_TOWNSHIP, "fire", accept, accept * 10)
    _alert(QIBIN_TOWNSHIP, "injured_person", None)
    _alert(QIXIAN_TOWNSHIP, "fire", 5, 50)


def _range():
    return {"since": (T0 - timedelta(hours=1)).isoformat(), "until": (T0 + timedelta(hours=1)).isoformat()}


def test_median_and_p90_per_area_and_per_kind(as_role, history):
    body = as_role("county_coordinator", QIBIN).get("/api/v1/alerts/reports/response-times", **_range()).json()

    rows = {(r["group"], r["key"]): r for r in body["items"]}
    assert set(rows) == {("area", QIBIN), ("kind", "fire"), ("kind", "injured_person")}
    qibin = rows[("area", QIBIN)]
    assert (qibin["name"], qibin["alerts"], qibin["accepted"], qibin["on_scene"]) == (
        Area.objects.get(code=QIBIN).name,
        11,
        10,
        10,
    )
    assert (qibin["median_accept_s"], qibin["p90_accept_s"]) == (55.0, 90.0)
    assert (qibin["median_on_scene_s"], qibin["p90_on_scene_s"]) == (550.0, 900.0)
    assert rows[("kind", "injured_person")]["median_accept_s"] is None


def test_the_city_sees_every_county_and_can_group_by_township(as_role, history):
    client = as_role("city_admin", "410600")

    body = client.get("/api/v1/alerts/reports/response-times", level="township", **_range()).json()

    areas = [(r["key"], r["alerts"]) for r in body["items"] if r["group"] == "area"]
    assert areas == [(QIBIN_TOWNSHIP, 11), (QIXIAN_TOWNSHIP, 1)]


def test_alerts_outside_the_range_are_left_out(as_role, history):
    since = (T0 + timedelta(hours=1)).isoformat()
    until = (T0 + timedelta(hours=2)).isoformat()

    body = as_role("county_coordinator", QIXIAN).get("/api/v1/alerts/reports/response-times", since=since, until=until)

    assert body.json()["items"] == []


def test_the_csv_has_one_row_per_group_and_is_audited(as_role, history):
    response = as_role("county_coordinator", QIXIAN).get("/api/v1/alerts/reports/response-times.csv", **_range())

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["group", "key", "name", "alerts"]
    assert rows[1] == ["area", QIXIAN, Area.objects.get(code=QIXIAN).name, "1", "1", "5.0", "5.0", "1", "50.0", "50.0"]
    entry = AuditEntry.objects.get(action="export", object_type="alert_report")
    assert (entry.details["format"], entry.details["rows"]) == ("csv", len(rows) - 1)


def test_the_xlsx_has_the_csvs_rows_as_numbers_under_titles_in_the_callers_language(as_role, history):
    client = as_role("county_coordinator", QIXIAN)
    url = "/api/v1/alerts/reports/response-times"
    table = list(csv.reader(io.StringIO(client.get(f"{url}.csv", **_range()).content.decode())))

    chinese = client.get(f"{url}.xlsx", **_range())
    english = client.get(f"{url}.xlsx", headers={"HTTP_ACCEPT_LANGUAGE": "en"}, **_range())

    assert chinese.status_code == english.status_code == 200
    assert chinese["Content-Type"] == XLSX
    assert 'filename="response-times.xlsx"' in chinese["Content-Disposition"]
    sheet = list(load_workbook(io.BytesIO(chinese.content)).active.iter_rows(values_only=True))
    assert sheet[0][:4] == ("分组方式", "代码", "区域或类型", "警情")
    assert next(load_workbook(io.BytesIO(english.content)).active.iter_rows(values_only=True))[:4] == (
        "Grouped by",
        "Code",
        "Area or kind",
        "Alerts",
    )
    assert sheet[1] == ("area", QIXIAN, Area.objects.get(code=QIXIAN).name, 1, 1, 5.0, 5.0, 1, 50.0, 50.0)
    assert len(sheet) == len(table)
    formats = [e.details["format"] for e in AuditEntry.objects.filter(object_type="alert_report").order_by("id")]
    assert formats == ["csv", "xlsx", "xlsx"]


def test_a_county_export_is_in_the_audit_trail_of_that_county_and_the_city_only(as_role, history):
    as_role("county_coordinator", QIXIAN).get("/api/v1/alerts/reports/response-times.csv", **_range())

    seen = {
        area: as_role(role, area).get("/api/v1/audit", action="export").json()["count"]
        for role, area in (("county_coordinator", QIXIAN), ("city_admin", "410600"), ("county_coordinator", XUNXIAN))
    }

    assert AuditEntry.objects.get(action="export", object_type="alert_report").area_code == QIXIAN
    assert seen == {QIXIAN: 1, "410600": 1, XUNXIAN: 0}


def test_csv_cells_that_look_like_formulas_are_neutralised():
    from dispatch.reports import Stats, as_csv

    row = Stats("area", "=HYPERLINK(1)", "+cmd", 1, 0, None, None, 0, None, None)

    assert as_csv([row]).splitlines()[1] == "area,'=HYPERLINK(1),'+cmd,1,0,,,0,,"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"since": "2026-02-01T00:00:00+08:00", "until": "2026-01-01T00:00:00+08:00"}, "invalid_range"),
        (
            {"since": "2026-01-01T00:00:00+08:00", "until": "2026-02-01T00:00:00+08:00", "level": "planet"},
            "invalid_level",
        ),
    ],
)
def test_a_bad_range_or_level_is_refused(as_role, params, code):
    response = as_role("county_coordinator", QIBIN).get("/api/v1/alerts/reports/response-times", **params)

    assert response.status_code == 422
    assert response.json()["code"] == code


@pytest.mark.parametrize("path", ["/api/v1/alerts/reports/response-times", "/api/v1/alerts/reports/response-times.csv"])
@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-01-01T00:00:00", "until": "2026-02-01T00:00:00+08:00"},
        {"since": "2026-01-01T00:00:00+08:00", "until": "2026-02-01T00:00:00"},
    ],
)
def test_a_report_range_without_a_zone_is_a_422_and_not_audited(as_role, path, params):
    response = as_role("county_coordinator", QIBIN).get(path, **params)

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_input"
    assert response.json()["details"][0]["type"] == "timezone_aware"
    assert not AuditEntry.objects.filter(action="export", object_type="alert_report").exists()


def test_a_volunteer_cannot_read_reports(as_role):
    response = as_role("volunteer", QIBIN_TOWNSHIP).get("/api/v1/alerts/reports/response-times", **_range())

    assert response.status_code == 403


def test_the_response_times_come_a_page_at_a_time_with_a_count(as_role, history):
    client = as_role("county_coordinator", QIBIN)

    whole = client.get("/api/v1/alerts/reports/response-times", **_range()).json()
    page = client.get("/api/v1/alerts/reports/response-times", limit=1, offset=1, **_range()).json()

    assert (whole["count"], len(whole["items"])) == (3, 3)
    assert (page["items"], page["count"]) == (whole["items"][1:2], 3)
