"""The dashboard's Heroes view, in a browser: a county coordinator finds their county's honoured heroes
by text, honour and year, never another county's, and the CSV link carries the same filters.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.web.conftest import WebStack, screenshot, sign_in
from tests.web.test_dashboard import QIXIAN, api_as

GAOCUN = "410622101"  # 淇县 高村镇
SHANTANG = "410621101"  # 浚县 善堂镇


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
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=heroes-table] tbody tr').length === 1"
        " && !document.querySelector('[data-testid=heroes-results]').hasAttribute('aria-busy')"
    )
    ids = page.eval_on_selector_all("[data-testid=heroes-table] tbody tr", "rs => rs.map(r => r.dataset.heroId)")
    assert ids == [str(commended)]
    href = page.get_attribute("[data-testid=heroes-csv]", "href")
    assert href == f"/api/v1/heroes.csv?q={tag}&honour=commendation&year=2024"
    body = page.evaluate("async (url) => (await fetch(url)).text()", href)
    assert f"嘉奖{tag}" in body
    assert f"英雄{tag}" not in body
    screenshot(page, "dashboard-heroes")
