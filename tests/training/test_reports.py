from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from core.models import AuditEntry
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN, XUNXIAN_TOWNSHIP
from tests.training.conftest import T0, create_session
from training.models import Attendance, AttendanceTally
from training.services.attendance import sessions_close_due

pytestmark = pytest.mark.django_db

CITY = "410600"
RANGE = {"since": "2026-06-01", "until": "2026-07-01"}


@pytest.fixture
def city_year(clock, make_person, login, session_body, team_in):
    """A city session: 2 淇县 volunteers (one present, one absent), 1 浚县 volunteer (late), 1 excused."""
    team = team_in(QIXIAN_TOWNSHIP, name='=HYPERLINK("http://x")')
    q1 = make_person("volunteer", QIXIAN_TOWNSHIP, team=team)
    q2 = make_person("volunteer", QIXIAN_TOWNSHIP, team=team)
    x1 = make_person("volunteer", XUNXIAN_TOWNSHIP)
    x2 = make_person("volunteer", XUNXIAN_TOWNSHIP)
    admin = make_person("city_admin", CITY)
    created = create_session(login(admin), session_body(roles=["volunteer"]))
    statuses = {q1.pk: "present", q2.pk: "absent", x1.pk: "late", x2.pk: "excused"}
    for person_id, status in statuses.items():
        Attendance.objects.filter(session_id=created["id"], person_id=person_id).update(status=status)
    return {"admin": login(admin), "session": created["id"], "team": team}


def rows_by_key(response):
    assert response.status_code == 200, response.content
    return {(r["level"], r["key"]): r for r in response.json()["items"]}


def test_the_city_roll_up_goes_township_county_city(city_year):
    rows = rows_by_key(city_year["admin"].get("/api/v1/sessions/reports/attendance", by="rollup", **RANGE))

    city = rows[("city", CITY)]
    assert (city["label"], city["invited"], city["present"], city["late"], city["absent"], city["excused"]) == (
        "鹤壁市",
        0,
        1,
        1,
        1,
        1,
    )
    assert city["rate"] == round(2 / 3, 4)
    assert (
        rows[("county", QIXIAN)]["present"],
        rows[("county", QIXIAN)]["absent"],
        rows[("county", QIXIAN)]["rate"],
    ) == (1, 1, 0.5)
    assert (rows[("county", XUNXIAN)]["late"], rows[("county", XUNXIAN)]["rate"]) == (1, 1.0)
    assert rows[("township", QIXIAN_TOWNSHIP)]["label"] == "高村镇"
    assert set(rows) == {
        ("city", CITY),
        ("county", QIXIAN),
        ("county", XUNXIAN),
        ("township", QIXIAN_TOWNSHIP),
        ("township", XUNXIAN_TOWNSHIP),
    }


def test_a_closed_session_reports_the_same_from_its_tally(city_year):
    url = "/api/v1/sessions/reports/attendance"
    before = {by: city_year["admin"].get(url, by=by, **RANGE).json() for by in ("rollup", "sector", "county")}

    sessions_close_due(now=T0 + timedelta(days=2))
    after = {by: city_year["admin"].get(url, by=by, **RANGE).json() for by in ("rollup", "sector", "county")}

    assert AttendanceTally.objects.filter(session_id=city_year["session"]).count() > 0
    assert after == before


def test_marking_a_closed_session_by_hand_updates_its_tally(city_year):
    sessions_close_due(now=T0 + timedelta(days=2))
    absent = Attendance.objects.get(session_id=city_year["session"], status="absent").person_id

    city_year["admin"].send(
        "put", f"/api/v1/sessions/{city_year['session']}/attendance/{absent}", {"status": "excused"}
    )
    rows = rows_by_key(city_year["admin"].get("/api/v1/sessions/reports/attendance", by="city", **RANGE))

    assert (rows[("city", CITY)]["absent"], rows[("city", CITY)]["excused"]) == (0, 2)


def test_marking_someone_late_by_hand_counts_them_as_attended_like_a_late_check_in(city_year):
    sessions_close_due(now=T0 + timedelta(days=2))
    absent = Attendance.objects.get(session_id=city_year["session"], status="absent").person_id

    marked = city_year["admin"].send(
        "put", f"/api/v1/sessions/{city_year['session']}/attendance/{absent}", {"status": "late"}
    )
    rows = rows_by_key(city_year["admin"].get("/api/v1/sessions/reports/attendance", by="city", **RANGE))

    assert marked.status_code == 200, marked.content
    city = rows[("city", CITY)]
    assert (city["present"], city["late"], city["absent"], city["excused"], city["rate"]) == (1, 2, 0, 1, 1.0)


@pytest.mark.parametrize(("by", "key"), [("county", QIXIAN), ("township", QIXIAN_TOWNSHIP), ("city", CITY)])
def test_reports_group_by_area_level(city_year, by, key):
    rows = rows_by_key(city_year["admin"].get("/api/v1/sessions/reports/attendance", by=by, **RANGE))

    assert rows[(by, key)]["present"] == 1


def test_reports_group_by_team_and_person(city_year):
    teams = rows_by_key(city_year["admin"].get("/api/v1/sessions/reports/attendance", by="team", **RANGE))
    people = rows_by_key(city_year["admin"].get("/api/v1/sessions/reports/attendance", by="person", **RANGE))

    assert (
        teams[("team", str(city_year["team"].pk))]["present"],
        teams[("team", str(city_year["team"].pk))]["absent"],
    ) == (1, 1)
    assert len(people) == 4


def test_a_qixian_township_coordinator_sees_only_qixian_attendance(city_year, make_person, login):
    township = login(make_person("township_coordinator", QIXIAN_TOWNSHIP))

    rows = rows_by_key(township.get("/api/v1/sessions/reports/attendance", by="county", **RANGE))
    xunxian_report = township.get("/api/v1/sessions/reports/attendance", by="county", area=XUNXIAN, **RANGE)
    counts = township.get(f"/api/v1/sessions/{city_year['session']}/attendance").json()

    assert set(rows) == {("county", QIXIAN)}
    assert xunxian_report.status_code == 404
    assert (counts["total"], counts["present"], counts["absent"]) == (2, 1, 1)


def test_a_qixian_township_coordinator_cannot_see_a_xunxian_session(clock, make_person, login, session_body):
    make_person("volunteer", XUNXIAN_TOWNSHIP)
    created = create_session(login(make_person("county_coordinator", XUNXIAN)), session_body())
    township = login(make_person("township_coordinator", QIXIAN_TOWNSHIP))

    assert township.get(f"/api/v1/sessions/{created['id']}/attendance").status_code == 404
    assert township.get(f"/api/v1/sessions/{created['id']}/attendees").status_code == 404


def test_csv_and_xlsx_exports_defuse_formulas_and_are_audited(city_year):
    as_csv = city_year["admin"].get("/api/v1/sessions/reports/attendance", by="team", format="csv", **RANGE)
    as_xlsx = city_year["admin"].get("/api/v1/sessions/reports/attendance", by="team", format="xlsx", **RANGE)

    csv_rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    xlsx_labels = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert as_csv["Content-Type"].startswith("text/csv")
    assert '\'=HYPERLINK("http://x")' in [r["label"] for r in csv_rows]
    assert '\'=HYPERLINK("http://x")' in xlsx_labels
    assert [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []
    entries = AuditEntry.objects.filter(action="export", object_type="attendance_report").order_by("id")
    team_rows = len(csv_rows)
    assert [(e.details["format"], e.details["by"], e.details["rows"]) for e in entries] == [
        ("csv", "team", team_rows),
        ("xlsx", "team", team_rows),
    ]


def test_the_annual_picture_per_county_has_monthly_rates_of_closed_sessions(city_year):
    sessions_close_due(now=T0 + timedelta(days=2))

    response = city_year["admin"].get("/api/v1/sessions/reports/annual", year=2026)

    rows = {r["key"]: r for r in response.json()["items"]}
    assert response.status_code == 200
    assert (rows[QIXIAN]["sessions"], rows[QIXIAN]["rate"], rows[QIXIAN]["months"]) == (1, 0.5, {"6": 0.5})


def test_a_report_range_must_not_be_empty(city_year):
    response = city_year["admin"].get("/api/v1/sessions/reports/attendance", since="2026-07-01", until="2026-06-01")

    assert (response.status_code, response.json()["code"]) == (422, "end_before_start")


def test_the_report_and_the_annual_picture_come_a_page_at_a_time_but_downloads_whole(city_year):
    sessions_close_due(now=T0 + timedelta(days=2))
    admin, url = city_year["admin"], "/api/v1/sessions/reports/attendance"

    whole = admin.get(url, by="rollup", **RANGE).json()
    page = admin.get(url, by="rollup", limit=2, offset=1, **RANGE).json()
    as_csv = admin.get(url, by="rollup", format="csv", limit=1, **RANGE)
    annual = admin.get("/api/v1/sessions/reports/annual", year=2026, limit=1).json()

    assert (whole["count"], len(whole["items"])) == (5, 5)  # the city, 淇县 and 浚县, a township in each
    assert page == {"items": whole["items"][1:3], "count": 5}
    assert len(list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))) == 1 + 5
    assert ([r["key"] for r in annual["items"]], annual["count"]) == ([XUNXIAN], 2)
