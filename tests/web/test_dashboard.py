"""The staff dashboard in a browser: the coverage map keeps to the jurisdiction; screenshots in both languages.

Helpers here (put_on_duty, api_as) are shared with the journeys: they drive the HTTP API the way a
phone would, so the map has on-duty responders to show.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.browser import wait_until
from tests.web.conftest import PASSWORD, WebStack, screenshot, sign_in
from tests.web.journeys import click_map_at
from tests.web.phone_support import (
    DAHEJIAN,
    QIBIN_COORDINATOR,
    SHANGYU,
    eventually,
    on_duty,
    point_at,
    qibin_members,
    raise_alert,
    token,
)

QIXIAN = "410622"  # 淇县
XUNXIAN = "410621"  # 浚县


def api_as(base_url: str, username: str, method: str, path: str, body: Any = None) -> Any:
    """Call /api/v1 as `username` with a bearer token (as the phone app and integrators do)."""

    def call(method: str, path: str, body: Any, token: str | None) -> Any:
        request = urllib.request.Request(  # noqa: S310 (loopback test server)
            f"{base_url}/api/v1/{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read() or b"null")

    token = call("POST", "auth/token", {"username": username, "password": PASSWORD}, None)["token"]
    return call(method, path, body, token)


def new_station_head(base_url: str, coordinator: str, area: str, *, tag: str, phone: str) -> dict[str, Any]:
    """A person `coordinator` registers in `area` with the login head<tag> and makes its station head: staff who
    may view people and heroes but change nothing."""
    head = api_as(
        base_url,
        coordinator,
        "POST",
        "people",
        {"name": f"站长{tag}", "phone": phone, "home_area_code": area, "username": f"head{tag}", "password": PASSWORD},
    )
    api_as(base_url, coordinator, "POST", f"people/{head['id']}/roles", {"role": "station_head", "area_code": area})
    return dict(head)


def put_on_duty(base_url: str, username: str, *, lat: float, lon: float) -> None:
    """Duty on and a fresh WGS-84 fix, as a phone sends them."""
    api_as(base_url, username, "PUT", "me/duty", {"on_duty": True})
    api_as(base_url, username, "PUT", "me/location", {"lat": lat, "lon": lon, "datum": "wgs84", "accuracy_m": 15})


def volunteers_in(base_url: str, area: str, count: int) -> list[str]:
    found = api_as(base_url, "admin", "GET", f"people?role=volunteer&area={area}&limit={count}")
    return [p["username"] for p in found["items"]]


def township_points(base_url: str, county: str) -> list[tuple[float, float]]:
    layer = api_as(base_url, "admin", "GET", "coverage/layers/townships")
    points = [f["geometry"]["coordinates"] for f in layer["features"] if f["properties"]["code"].startswith(county)]
    return [(lat, lon) for lon, lat in points]


@pytest.fixture(scope="module")
def responders_in_two_counties(web_stack: WebStack) -> dict[str, int]:
    """Three on-duty volunteers with fixes in 淇县 and three in 浚县."""
    placed = {}
    for county in (QIXIAN, XUNXIAN):
        points = township_points(web_stack.url, county)
        people = volunteers_in(web_stack.url, county, 3)
        for index, username in enumerate(people):
            lat, lon = points[index % len(points)]
            put_on_duty(web_stack.url, username, lat=lat + 0.002 * index, lon=lon)
        placed[county] = len(people)
    on_duty = api_as(web_stack.url, "admin", "GET", "coverage/layers/on-duty")["features"]
    assert {f["properties"]["area_code"][:6] for f in on_duty} >= {QIXIAN, XUNXIAN}
    return placed


def _open_map(page: Any, base_url: str, username: str) -> None:
    sign_in(page, base_url, username)
    assert page.url.endswith("/dashboard/")
    page.wait_for_selector("[data-testid=map][data-ready=true]", timeout=20_000)


def test_a_qixian_coordinator_sees_only_qixian_responders_on_the_map_also_as_they_come_on_duty(
    web_stack: WebStack, new_page: Any, responders_in_two_counties: dict[str, int]
) -> None:
    page = new_page("desktop")

    _open_map(page, web_stack.url, f"county_{QIXIAN}")

    wait_until(
        page,
        "n => document.querySelectorAll('[data-testid=responder]').length >= n",
        responders_in_two_counties[QIXIAN],
    )
    codes = page.eval_on_selector_all("[data-testid=responder]", "els => els.map(e => e.dataset.areaCode)")
    assert codes, "no responders on the map"
    assert all(code.startswith(QIXIAN) for code in codes), codes
    assert not page.query_selector(f"[data-testid=responder][data-area-code^='{XUNXIAN}']")

    # Live: one more comes on duty in each county; only 淇县's appears, without reloading the page.
    for county in (XUNXIAN, QIXIAN):
        lat, lon = township_points(web_stack.url, county)[0]
        put_on_duty(web_stack.url, volunteers_in(web_stack.url, county, 4)[3], lat=lat - 0.004, lon=lon)
    wait_until(
        page, "n => document.querySelectorAll('[data-testid=responder]').length === n", len(codes) + 1, timeout=15_000
    )
    codes = page.eval_on_selector_all("[data-testid=responder]", "els => els.map(e => e.dataset.areaCode)")
    assert all(code.startswith(QIXIAN) for code in codes), codes


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_city_map_is_drawn_without_any_tiles_in_both_languages(
    web_stack: WebStack, new_page: Any, responders_in_two_counties: dict[str, int], language: str
) -> None:
    page = new_page("desktop", language)

    _open_map(page, web_stack.url, "admin")

    # Tiles are blocked (no internet in tests): the map is drawn from our own data alone.
    assert page.locator("[data-testid=map] .leaflet-overlay-pane canvas").count() >= 1
    assert page.locator("[data-testid=responder]").count() >= sum(responders_in_two_counties.values())
    assert page.text_content("[data-testid=summary-responders]") != "–"
    nav = page.text_content("[data-testid=nav-map]")
    assert nav == ("覆盖地图" if language == "zh-hans" else "Coverage map")
    assert page.get_attribute("html", "lang") == language
    screenshot(page, f"dashboard-map-{language}")


def _people_of_jinshan(web_stack: WebStack, new_page: Any) -> Any:
    """金山街道's coordinator on the People view (English), its first page listed."""
    page = new_page("desktop", "en")
    sign_in(page, web_stack.url, "township_410611001")
    page.click("[data-testid=nav-people]")
    page.wait_for_selector("[data-testid=people-table] tbody tr")
    return page


def test_a_township_coordinator_searches_people_of_their_township_with_masked_phones(
    web_stack: WebStack, new_page: Any
) -> None:
    page = _people_of_jinshan(web_stack, new_page)
    page.select_option("[data-testid=people-search] [name=role]", "volunteer")
    page.click("[data-testid=people-search] button[type=submit]")
    page.wait_for_selector("[data-testid=people-count]:has-text('of')")

    rows = page.eval_on_selector_all(
        "[data-testid=people-table] tbody tr",
        "rows => rows.map(r => [r.cells[1].textContent, r.cells[2].textContent])",
    )
    assert rows
    assert all("****" in phone for phone, _area in rows), rows  # a township coordinator sees masked phones
    assert {area for _phone, area in rows} == {"金山街道"}


def test_reports_draw_both_charts_and_offer_the_downloads(web_stack: WebStack, new_page: Any) -> None:
    page = new_page("desktop")
    sign_in(page, web_stack.url, f"county_{QIXIAN}")

    page.click("[data-testid=nav-reports]")

    page.wait_for_selector("[data-testid=chart-attendance][data-rows]")
    page.wait_for_selector("[data-testid=chart-response][data-rows]")
    assert page.evaluate("typeof Chart") == "function"  # from /static/vendor/chartjs, not a CDN
    links = page.eval_on_selector_all(
        "[data-testid=report-attendance] a, [data-testid=report-response] a", "as => as.map(a => a.href)"
    )
    assert any("format=csv" in href for href in links)
    assert any("format=xlsx" in href for href in links)
    assert any("response-times.csv" in href for href in links)
    csv = page.evaluate("href => fetch(href).then(r => r.status + ' ' + r.headers.get('content-type'))", links[0])
    assert csv == "200 text/csv; charset=utf-8"


def test_a_desk_whose_clock_is_set_to_utc_still_shows_and_takes_beijing_time(
    web_stack: WebStack, new_page: Any
) -> None:
    page = new_page("desktop", timezone_id="UTC")
    page.clock.install(time=datetime(2026, 12, 1, 17, 30, tzinfo=UTC))  # 01:30 on 2 December in Beijing
    sign_in(page, web_stack.url, f"county_{QIXIAN}")

    # The reports run to the end of the Beijing day, not the UTC one (still 1 December there).
    page.click("[data-testid=nav-reports]")
    page.wait_for_selector("[data-testid=report-form]")
    assert page.input_value("[data-testid=report-form] [name=until]") == "2026-12-03"
    assert page.input_value("[data-testid=report-form] [name=since]") == "2026-09-03"

    # A training typed as 09:00 starts at 09:00 Beijing time, and the page says 09:00.
    page.click("[data-testid=nav-sessions]")
    page.click("[data-testid=session-new]")
    form = "[data-testid=session-form]"
    page.wait_for_selector(form)
    assert page.input_value(f"{form} [name=start]") == "2026-12-02T01:40"  # the default: in 10 minutes
    page.fill(f"{form} [name=title]", "时区测试培训")
    page.fill(f"{form} [name=start]", "2027-03-01T09:00")
    page.fill(f"{form} [name=end]", "2027-03-01T10:30")
    township = page.eval_on_selector("[data-testid=session-areas] option:nth-child(2)", "o => o.value")
    page.select_option("[data-testid=session-areas]", township)
    page.click("[data-testid=session-create]")
    card = page.wait_for_selector("[data-testid=session-card][data-status=scheduled]:has-text('时区测试培训')")
    stored = api_as(web_stack.url, f"county_{QIXIAN}", "GET", f"sessions/{card.get_attribute('data-session-id')}")
    assert datetime.fromisoformat(stored["start"]) == datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
    assert datetime.fromisoformat(stored["end"]) == datetime(2027, 3, 1, 2, 30, tzinfo=UTC)
    assert "03/01 09:00" in (card.text_content() or "")


def test_an_older_people_search_that_answers_late_does_not_replace_the_newer_one(
    web_stack: WebStack, new_page: Any
) -> None:
    page = _people_of_jinshan(web_stack, new_page)

    # The search for volunteers is slow (held here); meanwhile the coordinator searches for liaisons.
    held: list[Any] = []
    page.route("**/api/v1/people?*role=volunteer*", lambda route: held.append(route))
    page.select_option("[data-testid=people-search] [name=role]", "volunteer")
    page.click("[data-testid=people-search] button[type=submit]")
    eventually(lambda: held, page=page)
    page.select_option("[data-testid=people-search] [name=role]", "liaison")
    with page.expect_response(lambda r: "role=liaison" in r.url):
        page.click("[data-testid=people-search] button[type=submit]")
    liaisons = api_as(web_stack.url, "township_410611001", "GET", "people?role=liaison&limit=50")
    wanted = [str(p["id"]) for p in liaisons["items"]]
    assert wanted
    rows = "[data-testid=people-table] tbody tr"
    shown = f"() => Array.from(document.querySelectorAll('{rows}'), r => r.dataset.personId)"
    wait_until(page, f"ids => JSON.stringify(({shown})()) === JSON.stringify(ids)", wanted)

    # The volunteers' answer lands last: the liaisons stay on screen.
    with page.expect_response(lambda r: "role=volunteer" in r.url) as late:
        held[0].continue_()
    late.value.finished()
    page.wait_for_timeout(200)
    assert page.evaluate(shown) == wanted
    page.unroute("**/api/v1/people?*role=volunteer*")


def test_a_cancel_reason_typed_with_a_chinese_input_method_survives_a_live_board_update(
    web_stack: WebStack, new_page: Any
) -> None:
    """Pinyin being composed is not yet text: redrawing the field then would drop the composition or
    commit the raw letters. The board waits for the composition to end, then shows the update."""
    first, second = qibin_members(web_stack, 12)[10:12]
    scene = point_at(DAHEJIAN, metres=1500, bearing=90)
    with (
        on_duty(web_stack, first, at=point_at(scene, metres=100, bearing=0)),
        on_duty(web_stack, second, at=point_at(scene, metres=150, bearing=0)),
    ):
        alert_id = raise_alert(web_stack, token(web_stack, QIBIN_COORDINATOR), at=scene, title="输入法", radius_m=300)
        page = new_page("desktop")
        sign_in(page, web_stack.url, QIBIN_COORDINATOR)
        page.goto(f"{web_stack.url}/dashboard/#alerts/{alert_id}")
        board = f"[data-testid=alert-board][data-alert-id='{alert_id}']"
        reason = f"{board} [data-testid=alert-cancel-reason]"
        page.click(reason)
        ime = page.context.new_cdp_session(page)  # Chromium's input-method emulation
        ime.send("Input.imeSetComposition", {"text": "jia", "selectionStart": 3, "selectionEnd": 3})
        assert page.input_value(reason) == "jia"

        # One responder accepts while the pinyin is still being composed; the board reads the news.
        # (Both reads of the board's refresh have answered before the composition ends.)
        with (
            page.expect_response(lambda r: r.url.endswith(f"/alerts/{alert_id}")) as alert_read,
            page.expect_response(lambda r: r.url.endswith(f"/alerts/{alert_id}/board")) as board_read,
        ):
            api_as(web_stack.url, first, "POST", f"alerts/{alert_id}/responses", {"state": "accepted"})
        alert_read.value.finished()
        board_read.value.finished()
        page.wait_for_timeout(200)
        assert page.input_value(reason) == "jia"  # still being composed

        # The composition ends with 家: the field holds exactly that, still focused, and the board
        # shows the accept.
        ime.send("Input.insertText", {"text": "家"})
        page.wait_for_selector(f"{board} tbody [data-state=accepted]", timeout=5000)
        assert page.input_value(reason) == "家"
        assert page.evaluate("document.activeElement.dataset.testid") == "alert-cancel-reason"
        page.keyboard.type("属已到")
        assert page.input_value(reason) == "家属已到"


def test_sending_an_alert_again_after_its_answer_was_lost_does_not_raise_it_twice(
    web_stack: WebStack, new_page: Any
) -> None:
    page = new_page("desktop")
    _open_map(page, web_stack.url, QIBIN_COORDINATOR)
    # A point no other test raises an alert at: a click on another alert's marker opens that alert instead.
    scene = point_at(SHANGYU, metres=1500, bearing=200)
    click_map_at(page, scene)
    page.wait_for_selector("[data-testid=alert-form]:visible")
    page.fill("[data-testid=alert-form] [name=title]", "重发不重复测试")
    page.wait_for_selector("[data-testid=alert-preview-count][data-state=ready]", timeout=10_000)

    # The server raises the alert, but its answer never reaches the page (the link drops).
    raised: list[dict[str, Any]] = []

    def lose_the_answer(route: Any) -> None:
        raised.append(route.fetch().json())
        route.abort()

    page.route("**/api/v1/alerts", lose_the_answer)
    page.click("[data-testid=alert-send]")
    page.wait_for_selector("[data-testid=alert-error]:visible")
    page.unroute("**/api/v1/alerts")
    assert len(raised) == 1

    # The coordinator sends again: the page gets the same alert back and opens its board.
    page.click("[data-testid=alert-send]")

    board = page.wait_for_selector("[data-testid=alert-board]", timeout=10_000)
    assert board.get_attribute("data-alert-id") == str(raised[0]["id"])
    mine = api_as(web_stack.url, QIBIN_COORDINATOR, "GET", "alerts?status=active&limit=200")["items"]
    assert [a["id"] for a in mine if a["title"] == "重发不重复测试"] == [raised[0]["id"]]
    # Stood down: left active, its escalation would widen it onto phones that later tests put on duty nearby.
    stand_down = f"alerts/{raised[0]['id']}/cancel"
    cancelled = api_as(web_stack.url, QIBIN_COORDINATOR, "POST", stand_down, {"reason": "测试结束"})
    assert cancelled["status"] == "cancelled"
