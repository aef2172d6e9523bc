"""The yearly county evaluation (GET /api/v1/reports/evaluation[.csv|.xlsx]) over a small constructed 2026."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from core.models import Area, AuditEntry
from dispatch.models import Alert, Response
from liaisons.models import Liaison, Sector, Station
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN, XUNXIAN_TOWNSHIP
from tests.training.conftest import T0, Clock, create_session
from training.models import Attendance
from training.services.attendance import sessions_close_due

pytestmark = pytest.mark.django_db

CITY = "410600"
URL = "/api/v1/reports/evaluation"
SHANGHAI = timezone.get_fixed_timezone(8 * 60)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock(T0)  # 2026-06-01
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


def _alert(area: str, at: datetime, accept_s: float | None, needed: int = 1, states: tuple[Any, ...] = ()) -> Alert:
    alert = Alert.objects.create(
        kind="fire",
        severity="severe",
        title="t",
        area_id=area,
        raised_level="county",
        needed=needed,
        first_accepted_at=at + timedelta(seconds=accept_s) if accept_s is not None else None,
    )
    Alert.objects.filter(pk=alert.pk).update(created_at=at)  # auto_now_add ignores a given value
    for person, state in states:
        Response.objects.create(alert=alert, person=person, state=state)
    return alert


@pytest.fixture
def year(clock, make_person, login):
    """2026 in 淇县 and 浚县: members, one closed city session, alerts with responses, stations, a liaison."""
    q1 = make_person("volunteer", QIXIAN_TOWNSHIP)
    q2 = make_person("volunteer", QIXIAN_TOWNSHIP)
    x1 = make_person("volunteer", XUNXIAN_TOWNSHIP)
    x2 = make_person("volunteer", XUNXIAN_TOWNSHIP)
    rider = make_person("liaison", QIXIAN_TOWNSHIP)
    Liaison.objects.create(person=rider, sector_id="food_delivery")
    admin = make_person("city_admin", CITY)

    start = T0 + timedelta(days=1)
    body = {"kind": "training", "title": "防汛救援培训", "mode": "video", "roles": ["volunteer"]}
    body |= {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    created = create_session(login(admin), body)
    for person, status in {q1: "present", q2: "absent", x1: "late", x2: "excused"}.items():
        Attendance.objects.filter(session_id=created["id"], person_id=person.pk).update(status=status)
    sessions_close_due(now=T0 + timedelta(days=2))

    march = datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI)
    _alert(QIXIAN_TOWNSHIP, march, 10, needed=2, states=((q1, "accepted"), (q2, "on_scene")))  # reached
    _alert(QIXIAN_TOWNSHIP, march, 30, states=((q1, "declined"), (q2, "en_route")))  # reached
    _alert(QIXIAN_TOWNSHIP, march, 50, states=((q1, "declined"),))  # accepted, then declined
    _alert(QIXIAN_TOWNSHIP, march, 70, needed=3, states=((q1, "done"),))  # 1 of 3
    _alert(QIXIAN_TOWNSHIP, march, None)  # nobody
    _alert(QIXIAN_TOWNSHIP, datetime(2025, 12, 31, 23, 59, tzinfo=SHANGHAI), 1)  # the year before
    _alert(QIXIAN_TOWNSHIP, datetime(2027, 1, 1, 0, 0, tzinfo=SHANGHAI), 1)  # the year after
    _alert(XUNXIAN_TOWNSHIP, march, 100, states=((x1, "accepted"),))

    Station.objects.create(name="高村镇工作站", area_id=QIXIAN_TOWNSHIP)  # no head
    Station.objects.create(name="高村镇二站", area_id=QIXIAN_TOWNSHIP, head=q1)
    Station.objects.create(name="善堂镇工作站", area_id=XUNXIAN_TOWNSHIP)
    return {"admin": login(admin)}


def _townships(county: str) -> int:
    return Area.objects.filter(level="township", code__startswith=county).count()


def test_the_figures_of_a_constructed_year_per_county(year):
    response = year["admin"].get(URL, year=2026)

    assert response.status_code == 200, response.content
    rows = {r["code"]: r for r in response.json()["items"]}
    sectors = Sector.objects.count()
    assert sectors > 1
    assert rows[QIXIAN] == {
        "code": QIXIAN,
        "name": "淇县",
        "volunteers": 2,
        "liaisons": 1,
        "sessions": 1,
        "attendance_rate": 0.5,  # present 1, absent 1
        "alerts": 5,
        "accepted": 4,
        "median_accept_s": 40.0,
        "p90_accept_s": 70.0,
        "needed_reached": 2,
        "needed_reached_share": 0.4,
        "stations_without_head": 1,
        "townships_with_gaps": _townships(QIXIAN),  # every township lacks some sector
        "sector_gaps": _townships(QIXIAN) * sectors - 1,  # 高村镇 has its food-delivery liaison
    }
    xunxian = rows[XUNXIAN]
    assert (xunxian["volunteers"], xunxian["liaisons"], xunxian["attendance_rate"]) == (2, 0, 1.0)
    assert (xunxian["alerts"], xunxian["median_accept_s"], xunxian["needed_reached_share"]) == (1, 100.0, 1.0)
    assert (xunxian["stations_without_head"], xunxian["sector_gaps"]) == (1, _townships(XUNXIAN) * sectors)


def test_a_county_with_nothing_in_the_year_has_zeros_and_no_rates(year):
    rows = {r["code"]: r for r in year["admin"].get(URL, year=2025).json()["items"]}

    qixian = rows[QIXIAN]
    assert (qixian["sessions"], qixian["attendance_rate"], qixian["alerts"]) == (0, None, 1)
    assert (qixian["needed_reached"], qixian["needed_reached_share"]) == (0, 0.0)  # accepted, no responses kept
    assert rows[XUNXIAN]["alerts"] == 0
    assert (rows[XUNXIAN]["median_accept_s"], rows[XUNXIAN]["needed_reached_share"]) == (None, None)


def test_the_city_admin_sees_every_county_a_page_at_a_time(year):
    counties = list(Area.objects.filter(level="county").order_by("code").values_list("code", flat=True))

    whole = year["admin"].get(URL, year=2026).json()
    page = year["admin"].get(URL, year=2026, limit=2, offset=1).json()

    assert [r["code"] for r in whole["items"]] == counties
    assert {QIXIAN, XUNXIAN} <= set(counties)
    assert page == {"items": whole["items"][1:3], "count": len(counties)}


def test_a_county_coordinator_sees_only_their_county(year, as_role):
    response = as_role("county_coordinator", QIXIAN).get(URL, year=2026)

    assert response.status_code == 200
    assert [r["code"] for r in response.json()["items"]] == [QIXIAN]
    assert response.json()["count"] == 1
    assert XUNXIAN not in response.content.decode()
    assert "浚县" not in response.content.decode()
    # Their row is the county's whole picture, the same as the city admin's.
    admin_rows = {r["code"]: r for r in year["admin"].get(URL, year=2026).json()["items"]}
    assert response.json()["items"][0] == admin_rows[QIXIAN]


@pytest.mark.parametrize("role", ["township_coordinator", "station_head", "volunteer", "liaison"])
def test_below_a_county_there_is_no_evaluation(year, as_role, role):
    for url in (URL, URL + ".csv", URL + ".xlsx"):
        assert as_role(role, QIXIAN_TOWNSHIP).get(url, year=2026).status_code == 403


def test_anonymous_callers_get_401(year, anon):
    assert anon.get(URL, year=2026).status_code == 401


@pytest.mark.parametrize("bad", ["1999", "2027", "abc", ""])
def test_the_year_must_be_from_2000_to_this_year(year, bad):
    for url in (URL, URL + ".csv", URL + ".xlsx"):
        response = year["admin"].get(url, year=bad)
        assert (response.status_code, response.json()["code"]) in ((422, "invalid_year"), (422, "invalid_input"))
    assert year["admin"].get(URL, year=2000).status_code == 200
    assert AuditEntry.objects.filter(object_type="evaluation_report").count() == 0


def test_the_year_after_this_one_names_the_bounds(year):
    body = year["admin"].get(URL, year=2027).json()

    assert (body["code"], body["details"]) == ("invalid_year", {"year": 2027, "min": 2000, "max": 2026})


def test_the_csv_has_the_json_rows_and_is_audited(year, as_role):
    coordinator = as_role("county_coordinator", QIXIAN)
    for client, area in ((year["admin"], "4106"), (coordinator, QIXIAN)):  # filed under the jurisdiction prefix
        rows = client.get(URL, year=2026, limit=200).json()["items"]
        response = client.get(URL + ".csv", year=2026)

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert 'filename="evaluation-2026.csv"' in response["Content-Disposition"]
        table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert table[0] == list(rows[0])
        assert table[1:] == [["" if v is None else str(v) for v in r.values()] for r in rows]
        entry = AuditEntry.objects.filter(object_type="evaluation_report").latest("id")
        assert (entry.action, entry.area_code, entry.details) == (
            "export",
            area,
            {"year": 2026, "rows": len(rows), "format": "csv"},
        )
    assert AuditEntry.objects.filter(object_type="evaluation_report").count() == 2


def _sheet(response: Any) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_the_xlsx_has_the_json_rows_under_titles_in_the_callers_language_and_is_audited(year):
    rows = year["admin"].get(URL, year=2026, limit=200).json()["items"]

    chinese = year["admin"].get(URL + ".xlsx", year=2026)
    english = year["admin"].get(URL + ".xlsx", year=2026, headers={"HTTP_ACCEPT_LANGUAGE": "en"})

    assert chinese.status_code == english.status_code == 200
    assert chinese["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="evaluation-2026.xlsx"' in chinese["Content-Disposition"]
    table = _sheet(chinese)
    assert table[0][:4] == ("区划代码", "县区", "义警", "联络员")
    assert _sheet(english)[0][:4] == ("Division code", "County", "Volunteers", "Liaisons")
    assert len(table[0]) == len(rows[0])
    assert table[1:] == [tuple(r.values()) for r in rows]  # numbers as numbers, null as an empty cell
    assert dict(zip(rows[0], table[1], strict=True))["attendance_rate"] == rows[0]["attendance_rate"]
    entries = AuditEntry.objects.filter(object_type="evaluation_report").order_by("id")
    audited = ("export", "4106", {"year": 2026, "rows": len(rows), "format": "xlsx"})
    assert [(e.action, e.area_code, e.details) for e in entries] == [audited, audited]


def test_a_county_coordinators_workbook_holds_only_their_county(year, as_role):
    coordinator = as_role("county_coordinator", QIXIAN)
    theirs = coordinator.get(URL, year=2026).json()["items"]

    table = _sheet(coordinator.get(URL + ".xlsx", year=2026))

    assert [r["code"] for r in theirs] == [QIXIAN]
    assert table[1:] == [tuple(theirs[0].values())]
    assert not any("浚县" in str(cell) or cell == XUNXIAN for line in table for cell in line)
    entry = AuditEntry.objects.filter(object_type="evaluation_report").latest("id")
    assert entry.area_code == QIXIAN


def test_each_countys_vacancies_are_those_liaisons_vacancies_gives_for_it(year, make_person):
    # A liaison homed in 浚县 who works in a 淇县 township fills no 淇县 gap, as vacancies?area=淇县 counts.
    crossing = Liaison.objects.create(person=make_person("liaison", XUNXIAN_TOWNSHIP), sector_id="express")
    crossing.work_areas.add(QIXIAN_TOWNSHIP)

    rows = year["admin"].get(URL, year=2026).json()["items"]

    assert len(rows) > 2
    for row in rows:
        vacancies = year["admin"].get("/api/v1/liaisons/vacancies", area=row["code"]).json()
        assert (row["stations_without_head"], row["townships_with_gaps"], row["sector_gaps"]) == (
            vacancies["stations_without_head"],
            vacancies["townships_missing_a_sector"],
            vacancies["sector_vacancies"],
        ), row["code"]


def test_every_county_takes_no_more_queries_than_one(year, as_role):
    coordinator = as_role("county_coordinator", QIXIAN)
    for client in (coordinator, year["admin"]):
        client.get(URL, year=2026)  # warm the token's last-used write out of the count
    counties = Area.objects.filter(level="county").count()

    with CaptureQueriesContext(connection) as one:
        assert len(coordinator.get(URL, year=2026).json()["items"]) == 1
    with CaptureQueriesContext(connection) as every:
        assert len(year["admin"].get(URL, year=2026).json()["items"]) == counties

    assert counties > 2
    assert len(every.captured_queries) == len(one.captured_queries)
