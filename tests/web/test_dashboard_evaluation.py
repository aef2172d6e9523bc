"""The dashboard's Yearly evaluation view (年度考核), in a browser: the city admin sees a row for every county,
a county coordinator only their own county's, on screen and in the downloads; the year is Beijing's.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from tests.browser import wait_until
from tests.web.conftest import WebStack, screenshot, sign_in
from tests.web.test_dashboard import QIXIAN, api_as

TABLE = "[data-testid=evaluation-table]"
SHOWN = "(year) => document.querySelector(`[data-testid=evaluation-table][data-year='${year}']`)"
FETCH = "async (url) => Array.from(new Uint8Array(await (await fetch(url)).arrayBuffer()))"


def _beijing_year() -> int:
    return datetime.now(ZoneInfo("Asia/Shanghai")).year


def _open(page: Any, year: int) -> list[dict[str, str]]:
    """Open the view and wait for the year's table; its rows as {code, name, field: text}."""
    page.click("[data-testid=nav-evaluation]")
    wait_until(page, SHOWN, year)
    return page.eval_on_selector_all(
        f"{TABLE} tbody tr",
        """rows => rows.map(r => Object.fromEntries([['code', r.dataset.county],
             ...Array.from(r.querySelectorAll('[data-field]')).map(c => [c.dataset.field, c.textContent])]))""",
    )


def _download(page: Any, testid: str) -> bytes:
    """The file behind a download link, fetched by the page with its own session."""
    href = page.get_attribute(f"[data-testid={testid}]", "href")
    return bytes(page.evaluate(FETCH, href))


def _csv_lines(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_city_admin_sees_every_county_and_a_county_coordinator_only_theirs(
    web_stack: WebStack, new_page: Any
) -> None:
    year = _beijing_year()
    every = api_as(web_stack.url, "admin", "GET", f"reports/evaluation?year={year}&limit=200")["items"]
    assert len(every) > 1

    admin = new_page("desktop")
    sign_in(admin, web_stack.url, "admin")
    shown = _open(admin, year)

    assert admin.input_value("[data-testid=evaluation-year]") == str(year)
    assert [(r["code"], r["name"]) for r in shown] == [(c["code"], c["name"]) for c in every]
    assert [r["volunteers"] for r in shown] == [f"{c['volunteers']:,}" for c in every]
    assert [r["sector_gaps"] for r in shown] == [f"{c['sector_gaps']:,}" for c in every]
    screenshot(admin, "dashboard-evaluation")

    coordinator = new_page("desktop")
    sign_in(coordinator, web_stack.url, f"county_{QIXIAN}")
    theirs = _open(coordinator, year)

    assert [(r["code"], r["name"]) for r in theirs] == [(QIXIAN, "淇县")]
    assert theirs[0] == next(r for r in shown if r["code"] == QIXIAN)  # the county's whole picture, as the city's
    csv_href = coordinator.get_attribute("[data-testid=evaluation-csv]", "href")
    assert csv_href == f"/api/v1/reports/evaluation.csv?year={year}"
    sheet = load_workbook(io.BytesIO(_download(coordinator, "evaluation-xlsx"))).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][:2] == ("区划代码", "县区")  # the page's language
    assert [line[0] for line in lines[1:]] == [QIXIAN]
    assert [line[0] for line in _csv_lines(_download(coordinator, "evaluation-csv"))[1:]] == [QIXIAN]

    # Another year: the table and the links follow the picker.
    coordinator.select_option("[data-testid=evaluation-year]", str(year - 1))
    wait_until(coordinator, SHOWN, year - 1)
    assert coordinator.get_attribute("[data-testid=evaluation-xlsx]", "href").endswith(f"year={year - 1}")
    last_year = api_as(web_stack.url, f"county_{QIXIAN}", "GET", f"reports/evaluation?year={year - 1}")["items"][0]
    alerts = coordinator.text_content(f"{TABLE} tr[data-county='{QIXIAN}'] [data-field=alerts]")
    assert alerts == f"{last_year['alerts']:,}"


def test_a_township_coordinator_is_not_offered_the_view(web_stack: WebStack, new_page: Any) -> None:
    page = new_page("desktop")
    sign_in(page, web_stack.url, "township_410611001")

    page.wait_for_selector("[data-testid=nav-people]")
    assert page.query_selector("[data-testid=nav-evaluation]") is None
    assert page.query_selector("[data-view=evaluation]") is None


def test_a_desk_whose_clock_is_in_utc_opens_on_the_beijing_year(web_stack: WebStack, new_page: Any) -> None:
    page = new_page("desktop", "en", timezone_id="UTC")
    # 23:30 on 31 December 2025 in UTC is already 07:30 on 1 January 2026 in Beijing.
    page.clock.set_fixed_time(datetime(2025, 12, 31, 23, 30, tzinfo=UTC))
    sign_in(page, web_stack.url, "admin")

    _open(page, 2026)

    assert page.input_value("[data-testid=evaluation-year]") == "2026"
    headers = page.eval_on_selector_all(f"{TABLE} thead th", "cells => cells.map(c => c.textContent)")
    assert headers[:3] == ["County", "Volunteers", "Liaisons"]
