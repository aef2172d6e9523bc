"""The dashboard's Heroes view, in a browser: a county coordinator finds their county's honoured heroes
by text, honour and year, never another county's, and the CSV link carries the same filters; they record
a hero and correct one, and a refused input shows its message next to the field and writes nothing; a
station head, who may only read the register, is offered no form.
"""

from __future__ import annotations

import random
import uuid
from typing import Any
from urllib.parse import quote

from django.utils import translation

from tests.browser import wait_until
from tests.factories import valid_phone
from tests.web.conftest import WebStack, screenshot, sign_in
from tests.web.test_dashboard import QIXIAN, api_as, new_station_head

GAOCUN = "410622101"  # 淇县 高村镇
SHANTANG = "410621101"  # 浚县 善堂镇
JINSHAN = "410611001"  # 淇滨区 金山街道
JINSHAN_COORDINATOR = "township_410611001"
RESULTS_SETTLED = "() => !document.querySelector('[data-testid=heroes-results]').hasAttribute('aria-busy')"


def _record(base_url: str, name: str, area: str, honour: str, honoured_on: str) -> int:
    hero = api_as(
        base_url,
        "admin",
        "POST",
        "heroes",
        {
            "name": name,
            "area_code": area,
            "deed": f"{name}的事迹",
            "deed_date": "2024-05-01",
            "honour": honour,
            "honoured_on": honoured_on,
            "awarding_body": "鹤壁市人民政府",
        },
    )
    return int(hero["id"])


def test_a_county_coordinator_finds_their_countys_heroes_and_no_others(web_stack: WebStack, new_page: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    hero = _record(web_stack.url, f"英雄{tag}", GAOCUN, "hero", "2025-03-01")
    commended = _record(web_stack.url, f"嘉奖{tag}", GAOCUN, "commendation", "2024-06-01")
    _record(web_stack.url, f"浚县{tag}", SHANTANG, "hero", "2025-03-01")
    page = new_page("desktop")
    sign_in(page, web_stack.url, f"county_{QIXIAN}")

    page.click("[data-testid=nav-heroes]")
    page.fill("[data-testid=heroes-q]", tag)
    page.click("[data-testid=heroes-search] button[type=submit]")
    page.wait_for_selector(f"[data-testid=heroes-table] tr[data-hero-id='{commended}']")

    ids = page.eval_on_selector_all("[data-testid=heroes-table] tbody tr", "rs => rs.map(r => r.dataset.heroId)")
    assert ids == [str(hero), str(commended)]  # latest honour first; 浚县's hero is not there
    row = f"[data-testid=heroes-table] tr[data-hero-id='{hero}']"
    assert page.text_content(f"{row} [data-field=honour]") == "见义勇为英雄"
    assert page.text_content(f"{row} [data-field=area]") == "高村镇"
    assert page.text_content(f"{row} [data-field=honoured_on]") == "2025-03-01"

    page.select_option("[data-testid=heroes-honour]", "commendation")
    page.select_option("[data-testid=heroes-year]", "2024")
    page.click("[data-testid=heroes-search] button[type=submit]")
    wait_until(
        page,
        "() => document.querySelectorAll('[data-testid=heroes-table] tbody tr').length === 1"
        " && !document.querySelector('[data-testid=heroes-results]').hasAttribute('aria-busy')",
    )
    ids = page.eval_on_selector_all("[data-testid=heroes-table] tbody tr", "rs => rs.map(r => r.dataset.heroId)")
    assert ids == [str(commended)]
    href = page.get_attribute("[data-testid=heroes-csv]", "href")
    assert href == f"/api/v1/heroes.csv?q={tag}&honour=commendation&year=2024"
    body = page.evaluate("async (url) => (await fetch(url)).text()", href)
    assert f"嘉奖{tag}" in body
    assert f"英雄{tag}" not in body
    screenshot(page, "dashboard-heroes")


def _zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def _found(base_url: str, text: str) -> list[dict[str, Any]]:
    return list(api_as(base_url, "admin", "GET", f"heroes?q={quote(text)}")["items"])


def _search(page: Any, text: str) -> None:
    page.fill("[data-testid=heroes-q]", text)
    page.click("[data-testid=heroes-search] button[type=submit]")
    wait_until(page, RESULTS_SETTLED)


def test_a_county_coordinator_records_a_hero_and_corrects_them(web_stack: WebStack, new_page: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    page = new_page("desktop")
    sign_in(page, web_stack.url, f"county_{QIXIAN}")
    page.click("[data-testid=nav-heroes]")
    _search(page, tag)

    # A deed of spaces only: the API's refusal is shown next to the deed, and nothing is recorded.
    page.click("[data-testid=hero-new]")
    form = "[data-testid=hero-form]"
    page.fill(f"{form} [data-testid=hero-name]", f"英雄{tag}")
    page.select_option(f"{form} [data-testid=hero-area]", GAOCUN)
    page.select_option(f"{form} [data-testid=hero-honour]", "outstanding")
    page.fill(f"{form} [data-testid=hero-deed]", "   ")
    page.fill(f"{form} [data-testid=hero-deed-date]", "2025-04-01")
    page.fill(f"{form} [data-testid=hero-honoured-on]", "2025-06-01")
    page.fill(f"{form} [data-testid=hero-awarding-body]", "淇县人民政府")
    page.click("[data-testid=hero-save]")
    error = f"{form} [data-testid=field-error]"
    page.wait_for_selector(error)
    assert page.eval_on_selector_all(error, "ms => ms.map(m => [m.dataset.for, m.dataset.code, m.textContent])") == [
        ["deed", "string_too_short", _zh("Too short (spaces alone do not count).")]
    ]
    assert page.get_attribute(f"{form} [data-testid=hero-deed]", "aria-invalid") == "true"
    assert page.get_attribute(f"{form} [data-testid=hero-form-error]", "data-code") == "invalid_input"
    assert page.is_enabled("[data-testid=hero-save]")
    assert _found(web_stack.url, tag) == []

    # Corrected, it is recorded: the form closes and the hero is in the list and in the API.
    page.fill(f"{form} [data-testid=hero-deed]", "勇救落水儿童")
    page.click("[data-testid=hero-save]")
    page.wait_for_selector("[data-testid=hero-form-box]", state="hidden")
    found = _found(web_stack.url, tag)
    assert [
        (h["name"], h["area_code"], h["honour"], h["deed"], h["deed_date"], h["honoured_on"], h["awarding_body"])
        for h in found
    ] == [(f"英雄{tag}", GAOCUN, "outstanding", "勇救落水儿童", "2025-04-01", "2025-06-01", "淇县人民政府")]
    hero_id = found[0]["id"]
    row = f"[data-testid=heroes-table] tr[data-hero-id='{hero_id}']"
    page.wait_for_selector(row)
    assert [page.text_content(f"{row} [data-field={f}]") for f in ("name", "honour", "area", "honoured_on")] == [
        f"英雄{tag}",
        "见义勇为先进个人",
        "高村镇",
        "2025-06-01",
    ]

    # Edit: the form holds the record; a new awarding body is saved and shown.
    page.click(f"{row} [data-testid=hero-edit]")
    edit = f"[data-testid=hero-form][data-hero-id='{hero_id}']"
    assert page.input_value(f"{edit} [data-testid=hero-deed-date]") == "2025-04-01"
    page.fill(f"{edit} [data-testid=hero-awarding-body]", "鹤壁市人民政府")
    page.click(f"{edit} [data-testid=hero-save]")
    page.wait_for_selector(f"{row} [data-field=awarding_body]:text-is('鹤壁市人民政府')")
    assert api_as(web_stack.url, "admin", "GET", f"heroes/{hero_id}")["awarding_body"] == "鹤壁市人民政府"

    # An honour before the deed: the API's message is next to the honour's date, and nothing changes.
    page.click(f"{row} [data-testid=hero-edit]")
    page.fill(f"{edit} [data-testid=hero-honoured-on]", "2025-03-01")
    page.fill(f"{edit} [data-testid=hero-name]", f"改名{tag}")
    page.click(f"{edit} [data-testid=hero-save]")
    page.wait_for_selector(f"{edit} [data-testid=field-error]")
    assert page.eval_on_selector_all(
        f"{edit} [data-testid=field-error]", "ms => ms.map(m => [m.dataset.for, m.dataset.code, m.textContent])"
    ) == [["honoured_on", "honoured_before_deed", _zh("The honour cannot be given before the deed.")]]
    marked = page.eval_on_selector_all(f"{edit} [aria-invalid=true]", "fs => fs.map(f => f.name)")
    assert marked == ["deed_date", "honoured_on"]
    screenshot(page, "dashboard-hero-refused")
    again = api_as(web_stack.url, "admin", "GET", f"heroes/{hero_id}")
    assert (again["name"], again["honoured_on"]) == (f"英雄{tag}", "2025-06-01")


def test_a_station_head_reads_the_register_but_is_offered_no_form(web_stack: WebStack, new_page: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    new_station_head(
        web_stack.url, JINSHAN_COORDINATOR, JINSHAN, tag=tag, phone=valid_phone(random.randrange(3_000_000, 90_000_000))
    )
    hero = _record(web_stack.url, f"金山{tag}", JINSHAN, "commendation", "2025-02-01")
    page = new_page("desktop")
    sign_in(page, web_stack.url, f"head{tag}")
    page.click("[data-testid=nav-heroes]")

    _search(page, tag)

    page.wait_for_selector(f"[data-testid=heroes-table] tr[data-hero-id='{hero}']")
    assert page.locator("[data-testid=hero-new], [data-testid=hero-edit], [data-testid=hero-form]").count() == 0


def _member(base_url: str, name: str, area: str) -> int:
    person = api_as(
        base_url,
        "admin",
        "POST",
        "people",
        {"name": name, "phone": valid_phone(random.randrange(3_000_000, 90_000_000)), "home_area_code": area},
    )
    return int(person["id"])


def test_a_hero_who_is_a_member_is_found_by_name_not_typed_as_a_number(web_stack: WebStack, new_page: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    member = _member(web_stack.url, f"队员{tag}", GAOCUN)
    _member(web_stack.url, f"队员{tag}浚", SHANTANG)  # 浚县's namesake is not offered to 淇县
    page = new_page("desktop")
    sign_in(page, web_stack.url, f"county_{QIXIAN}")
    page.click("[data-testid=nav-heroes]")
    _search(page, tag)

    page.click("[data-testid=hero-new]")
    form = "[data-testid=hero-form]"
    page.fill(f"{form} [data-testid=hero-person-q]", tag)
    matches = f"{form} [data-testid=hero-person-matches] a[data-person-id]"
    page.wait_for_selector(matches)
    offered = page.eval_on_selector_all(matches, "as => as.map(a => [a.dataset.personId, a.textContent])")
    assert [(int(pid), text.split(" · ")[:2]) for pid, text in offered] == [(member, [f"队员{tag}", "高村镇"])]
    page.click(matches)
    assert page.text_content(f"{form} [data-testid=hero-person-chosen]") == offered[0][1]
    assert page.is_hidden(f"{form} [data-testid=hero-person-q]")
    # The member's name stands in for an empty name, and their township is taken as the hero's area.
    assert page.get_attribute(f"{form} [data-testid=hero-name]", "placeholder") == f"队员{tag}"
    assert page.input_value(f"{form} [data-testid=hero-area]") == GAOCUN
    screenshot(page, "dashboard-hero-member")
    page.fill(f"{form} [data-testid=hero-deed]", "协助抓获盗窃嫌疑人")
    page.fill(f"{form} [data-testid=hero-deed-date]", "2025-04-01")
    page.fill(f"{form} [data-testid=hero-honoured-on]", "2025-06-01")
    page.click("[data-testid=hero-save]")
    page.wait_for_selector("[data-testid=hero-form-box]", state="hidden")
    found = _found(web_stack.url, f"队员{tag}")
    assert [(h["name"], h["person_id"], h["area_code"]) for h in found] == [(f"队员{tag}", member, GAOCUN)]

    # Edit: the link shows the member by name; removed, the hero is no longer linked and keeps the name.
    hero_id = found[0]["id"]
    row = f"[data-testid=heroes-table] tr[data-hero-id='{hero_id}']"
    page.wait_for_selector(row)
    page.click(f"{row} [data-testid=hero-edit]")
    edit = f"[data-testid=hero-form][data-hero-id='{hero_id}']"
    page.wait_for_selector(f"{edit} [data-testid=hero-person-chosen]:has-text('队员{tag}')")
    page.click(f"{edit} [data-testid=hero-person-remove]")
    assert page.is_visible(f"{edit} [data-testid=hero-person-q]")
    page.click(f"{edit} [data-testid=hero-save]")
    page.wait_for_selector("[data-testid=hero-form-box]", state="hidden")
    again = api_as(web_stack.url, "admin", "GET", f"heroes/{hero_id}")
    assert (again["name"], again["person_id"]) == (f"队员{tag}", None)
