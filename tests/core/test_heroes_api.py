"""The honoured heroes register: /api/v1/heroes, its detail, writes and CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from core.models import AuditEntry, Hero
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN_TOWNSHIP

pytestmark = pytest.mark.django_db

QIXIAN_OTHER_TOWNSHIP = "410622102"


def _hero(area: str = QIXIAN_TOWNSHIP, **kw: object) -> Hero:
    fields: dict[str, object] = {
        "name": "张勇",
        "home_area_id": area,
        "deed": "勇救落水儿童",
        "deed_date": date(2025, 7, 3),
        "honour": "hero",
        "honoured_on": date(2025, 9, 1),
        "awarding_body": "鹤壁市人民政府",
    }
    return Hero.objects.create(**(fields | kw))


def _body(**kw: object) -> dict[str, object]:
    return {
        "name": "李强",
        "area_code": QIXIAN_TOWNSHIP,
        "deed": "制止持刀抢劫",
        "deed_date": "2025-03-10",
        "honour": "outstanding",
        "honoured_on": "2025-05-20",
        "awarding_body": "淇县见义勇为基金会",
    } | kw


def test_a_county_coordinator_records_a_hero(make_person, login):
    recorder = make_person("county_coordinator", QIXIAN)
    client = login(recorder)

    response = client.post("/api/v1/heroes", _body(name="  李强 "))

    assert response.status_code == 201, response.content
    body = response.json()
    hero = Hero.objects.get()
    assert body == {
        "id": hero.pk,
        "name": "李强",
        "person_id": None,
        "area_code": QIXIAN_TOWNSHIP,
        "area_name": "高村镇",
        "deed": "制止持刀抢劫",
        "deed_date": "2025-03-10",
        "honour": "outstanding",
        "honour_label": "见义勇为先进个人",
        "honoured_on": "2025-05-20",
        "awarding_body": "淇县见义勇为基金会",
        "recorded_by": recorder.name,
    }
    assert hero.recorded_by == recorder.user
    entry = AuditEntry.objects.get(action="hero_create")
    assert (entry.object_id, entry.area_code) == (str(hero.pk), QIXIAN_TOWNSHIP)


def test_a_members_name_is_the_default_name_of_their_honour(as_role, make_person):
    member = make_person("volunteer", QIXIAN_TOWNSHIP, name="王义")
    client = as_role("township_coordinator", QIXIAN_TOWNSHIP)

    body = _body(person_id=member.pk)
    del body["name"]
    response = client.post("/api/v1/heroes", body)

    assert response.status_code == 201, response.content
    assert (response.json()["name"], response.json()["person_id"]) == ("王义", member.pk)


def test_the_honour_label_follows_the_clients_language(as_role):
    _hero(honour="hero")
    client = as_role("county_coordinator", QIXIAN)

    chinese = client.get("/api/v1/heroes", headers={"HTTP_ACCEPT_LANGUAGE": "zh-hans"}).json()
    english = client.get("/api/v1/heroes", headers={"HTTP_ACCEPT_LANGUAGE": "en"}).json()

    assert chinese["items"][0]["honour_label"] == "见义勇为英雄"
    assert english["items"][0]["honour_label"] == "Hero of courageous deeds"


def test_the_list_is_paginated_and_filtered_by_area_honour_year_and_text(as_role):
    newest = _hero(name="甲", honoured_on=date(2026, 1, 5), honour="commendation")
    middle = _hero(name="乙", area=QIXIAN_OTHER_TOWNSHIP, deed_date=date(2025, 5, 1), honoured_on=date(2025, 6, 1))
    oldest = _hero(name="丙", deed="扑救山火", deed_date=date(2024, 1, 1), honoured_on=date(2024, 2, 1))
    client = as_role("county_coordinator", QIXIAN)

    def ids(**params: object) -> list[int]:
        response = client.get("/api/v1/heroes", **params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [newest.pk, middle.pk, oldest.pk]
    page = client.get("/api/v1/heroes", limit=1, offset=1).json()
    assert ([i["id"] for i in page["items"]], page["count"]) == ([middle.pk], 3)
    assert ids(area=QIXIAN_OTHER_TOWNSHIP) == [middle.pk]
    assert ids(honour="commendation") == [newest.pk]
    assert ids(year=2025) == [middle.pk]
    assert ids(q="山火") == [oldest.pk]
    assert ids(q="乙") == [middle.pk]


def test_a_hero_detail_and_a_correction(as_role):
    hero = _hero()
    client = as_role("county_coordinator", QIXIAN)

    assert client.get(f"/api/v1/heroes/{hero.pk}").json()["name"] == "张勇"
    response = client.patch(
        f"/api/v1/heroes/{hero.pk}", {"deed": "勇救落水儿童两名", "area_code": QIXIAN_OTHER_TOWNSHIP}
    )

    assert response.status_code == 200, response.content
    assert (response.json()["deed"], response.json()["area_code"]) == ("勇救落水儿童两名", QIXIAN_OTHER_TOWNSHIP)
    hero.refresh_from_db()
    assert (hero.deed, hero.home_area_id, hero.name) == ("勇救落水儿童两名", QIXIAN_OTHER_TOWNSHIP, "张勇")
    entry = AuditEntry.objects.get(action="hero_update")
    assert (entry.object_id, entry.details) == (str(hero.pk), {"fields": ["home_area", "deed"]})


def test_the_csv_export_lists_the_jurisdictions_heroes_and_is_audited(as_role):
    _hero(name="=危险", deed="勇斗歹徒")
    _hero(name="浚县英雄", area=XUNXIAN_TOWNSHIP)
    client = as_role("county_coordinator", QIXIAN)

    # Column titles are Chinese (for Excel in China), so the honour is too, whatever the client's language.
    response = client.get("/api/v1/heroes.csv", headers={"HTTP_ACCEPT_LANGUAGE": "en"}, area=QIXIAN)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["姓名", "所在地区", "地区代码", "荣誉", "事迹", "事迹日期", "授予日期", "授予单位", "成员编号"],
        ["'=危险", "高村镇", QIXIAN_TOWNSHIP, "见义勇为英雄", "勇斗歹徒", "2025-07-03", "2025-09-01",
         "鹤壁市人民政府", ""],
    ]  # fmt: skip
    entry = AuditEntry.objects.get(action="export")
    assert (entry.object_type, entry.area_code, entry.details["rows"], entry.details["format"]) == (
        "hero_list",
        QIXIAN,
        1,
        "csv",
    )


def test_another_countys_heroes_are_invisible_and_untouchable(as_role):
    theirs = _hero(name="浚县英雄", area=XUNXIAN_TOWNSHIP)
    client = as_role("county_coordinator", QIXIAN)

    assert client.get("/api/v1/heroes").json() == {"items": [], "count": 0}
    assert client.get(f"/api/v1/heroes/{theirs.pk}").status_code == 404
    assert client.patch(f"/api/v1/heroes/{theirs.pk}", {"deed": "改"}).status_code == 404
    response = client.post("/api/v1/heroes", _body(area_code=XUNXIAN_TOWNSHIP))
    assert (response.status_code, response.json()["code"]) == (404, "area_outside_jurisdiction")
    assert "浚县英雄" not in client.get("/api/v1/heroes.csv").content.decode()
    theirs.refresh_from_db()
    assert theirs.deed == "勇救落水儿童"
    assert Hero.objects.count() == 1


def test_a_hero_cannot_be_linked_to_a_member_of_another_county(as_role, make_person):
    outsider = make_person("volunteer", XUNXIAN_TOWNSHIP)
    client = as_role("county_coordinator", QIXIAN)

    response = client.post("/api/v1/heroes", _body(person_id=outsider.pk))

    assert (response.status_code, response.json()["code"]) == (422, "unknown_person")
    assert not Hero.objects.exists()


def test_a_volunteer_may_neither_read_nor_write_the_register(as_role):
    hero = _hero()
    client = as_role("volunteer", QIXIAN_TOWNSHIP)

    assert client.get("/api/v1/heroes").status_code == 403
    assert client.post("/api/v1/heroes", _body()).status_code == 403
    assert client.patch(f"/api/v1/heroes/{hero.pk}", {"deed": "改"}).status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="hero_").exists()


def test_a_station_head_reads_but_may_not_write(as_role):
    hero = _hero()
    client = as_role("station_head", QIXIAN_TOWNSHIP)

    assert client.get(f"/api/v1/heroes/{hero.pk}").status_code == 200
    assert client.post("/api/v1/heroes", _body()).status_code == 403
    assert client.patch(f"/api/v1/heroes/{hero.pk}", {"deed": "改"}).status_code == 403


def test_anonymous_callers_get_401(anon):
    assert anon.get("/api/v1/heroes").status_code == 401
    assert anon.get("/api/v1/heroes.csv").status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "   "}, "name"),
        ({"deed": " \t "}, "deed"),
        ({"deed_date": "2025-02-30"}, "deed_date"),
        ({"honoured_on": "not-a-date"}, "honoured_on"),
        ({"honour": "medal"}, "honour"),
        ({"area_code": "x"}, "area_code"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(as_role, change, field):
    response = as_role("county_coordinator", QIXIAN).post("/api/v1/heroes", _body(**change))

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_input"
    assert field in {part for d in response.json()["details"] for part in d["loc"]}
    assert not Hero.objects.exists()


def test_a_date_in_the_future_is_refused(as_role):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = as_role("county_coordinator", QIXIAN).post("/api/v1/heroes", _body(honoured_on=tomorrow))

    assert response.status_code == 422
    assert [d["type"] for d in response.json()["details"]] == ["date_in_future"]


def test_an_honour_before_the_deed_is_refused(as_role):
    hero = _hero()
    client = as_role("county_coordinator", QIXIAN)

    created = client.post("/api/v1/heroes", _body(deed_date="2025-06-01", honoured_on="2025-05-01"))
    patched = client.patch(f"/api/v1/heroes/{hero.pk}", {"honoured_on": "2025-07-01"})

    assert (created.status_code, created.json()["code"]) == (422, "honoured_before_deed")
    assert (patched.status_code, patched.json()["code"]) == (422, "honoured_before_deed")
    hero.refresh_from_db()
    assert hero.honoured_on == date(2025, 9, 1)


def test_a_hero_who_is_not_a_member_needs_a_name(as_role):
    body = _body()
    del body["name"]

    response = as_role("county_coordinator", QIXIAN).post("/api/v1/heroes", body)

    assert (response.status_code, response.json()["code"]) == (422, "name_required")


def test_a_patch_cannot_blank_a_name_or_null_a_required_field(as_role):
    hero = _hero()
    client = as_role("county_coordinator", QIXIAN)

    assert client.patch(f"/api/v1/heroes/{hero.pk}", {"name": "  "}).status_code == 422
    assert client.patch(f"/api/v1/heroes/{hero.pk}", {"deed_date": None}).status_code == 422
    assert client.patch(f"/api/v1/heroes/{hero.pk}", {"area_code": XUNXIAN_TOWNSHIP}).status_code == 404
    hero.refresh_from_db()
    assert (hero.name, hero.home_area_id) == ("张勇", QIXIAN_TOWNSHIP)


def test_an_unknown_hero_is_404(as_role):
    assert as_role("county_coordinator", QIXIAN).get("/api/v1/heroes/999999").status_code == 404


def test_a_missing_name_names_the_name_field(as_role):
    body = _body(name=None)

    response = as_role("county_coordinator", QIXIAN).post("/api/v1/heroes", body)

    assert response.status_code == 422
    assert (response.json()["code"], response.json()["details"]) == ("name_required", {"field": "name"})
    assert not Hero.objects.exists()
