"""The dashboard's alert form beyond a radius: a county coordinator alerts one team without a place on the
map (everyone in it, on duty or not), the preview counts them, and the alert carries the team as its
target; with no group chosen the API's refusal is shown and nothing is raised; on the map a radius alert
can be narrowed to a role."""

from __future__ import annotations

import random
import uuid
from typing import Any

from django.utils import translation

from tests.browser import wait_until
from tests.factories import valid_phone
from tests.web.conftest import WebStack, screenshot, sign_in
from tests.web.journeys import click_map_at
from tests.web.phone_support import QIBIN_COORDINATOR, SHANGYU, point_at
from tests.web.test_dashboard import QIXIAN, api_as

GAOCUN = "410622101"  # 淇县 高村镇
COORDINATOR = f"county_{QIXIAN}"
COUNT = "[data-testid=alert-preview-count]"


def _cancel(base_url: str, username: str, alert_id: int) -> None:
    """Stand the test's alert down: an active alert rings phones that later tests put on duty nearby."""
    cancelled = api_as(base_url, username, "POST", f"alerts/{alert_id}/cancel", {"reason": "测试结束"})
    assert cancelled["status"] == "cancelled"


def _team_of_two(base_url: str, tag: str) -> tuple[int, list[int]]:
    team = api_as(base_url, COORDINATOR, "POST", "teams", {"name": f"突击队{tag}", "area_code": GAOCUN})
    members = []
    for n in range(3):  # two in the team, one beside it
        body = {"name": f"队员{tag}{n}", "phone": valid_phone(random.randrange(3_000_000, 90_000_000)),
                "home_area_code": GAOCUN, "roles": ["volunteer"]}  # fmt: skip
        if n < 2:
            body["team_id"] = team["id"]
        members.append(api_as(base_url, COORDINATOR, "POST", "people", body)["id"])
    return int(team["id"]), members[:2]


def test_a_county_coordinator_alerts_one_team_without_a_place(web_stack: WebStack, new_page: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    team, members = _team_of_two(web_stack.url, tag)
    page = new_page("desktop")
    sign_in(page, web_stack.url, COORDINATOR)
    page.wait_for_selector("[data-testid=map][data-ready=true]", timeout=20_000)

    page.click("[data-testid=alert-groups]")
    page.wait_for_selector("[data-testid=alert-form]:visible")
    assert page.is_checked("[data-testid=alert-reach-groups]")
    assert page.is_disabled("[data-testid=alert-reach-radius]")  # no place, so no radius
    assert page.is_hidden("[data-testid=alert-radius]")
    # Nothing chosen yet: the API says what is missing, and the count stays empty.
    page.wait_for_selector(f"{COUNT}[data-state=error]")
    with translation.override("zh-hans"):
        assert page.text_content("[data-testid=alert-error]") == translation.gettext(
            "Give a radius or at least one target filter."
        )

    page.wait_for_selector(f"[data-testid=alert-teams] option[value='{team}']", state="attached")
    page.wait_for_selector(f"[data-testid=alert-areas] option[value='{GAOCUN}']", state="attached")
    offered = page.eval_on_selector_all("[data-testid=alert-areas] option", "os => os.map(o => o.value)")
    assert offered[0] == QIXIAN
    assert {code[:6] for code in offered} == {QIXIAN}  # their county and its townships only
    page.select_option("[data-testid=alert-teams]", str(team))
    wait_until(page, "() => document.querySelector('[data-testid=alert-preview-count]').dataset.state === 'ready'")
    assert page.text_content(COUNT) == "2"
    page.fill("[data-testid=alert-form] [name=title]", f"集合{tag}")
    screenshot(page, "dashboard-alert-groups")
    page.click("[data-testid=alert-send]")

    board = page.wait_for_selector("[data-testid=alert-board]", timeout=10_000)
    alert = api_as(web_stack.url, COORDINATOR, "GET", f"alerts/{board.get_attribute('data-alert-id')}")
    assert (alert["title"], alert["team_ids"], alert["radius_m"], alert["lat"], alert["recipients"]) == (
        f"集合{tag}",
        [team],
        None,
        None,
        len(members),
    )
    _cancel(web_stack.url, COORDINATOR, alert["id"])


def test_a_radius_alert_on_the_map_can_be_narrowed_to_a_role(web_stack: WebStack, new_page: Any) -> None:
    page = new_page("desktop")
    sign_in(page, web_stack.url, QIBIN_COORDINATOR)
    page.wait_for_selector("[data-testid=map][data-ready=true]", timeout=20_000)
    click_map_at(page, point_at(SHANGYU, metres=800, bearing=120))  # where no other test's alert is
    page.wait_for_selector("[data-testid=alert-form]:visible")
    assert page.is_checked("[data-testid=alert-reach-radius]")
    assert page.is_visible("[data-testid=alert-radius]")

    page.click("[data-testid=alert-filters-toggle]")
    page.wait_for_selector("[data-testid=alert-roles] option[value=liaison]", state="attached")
    page.select_option("[data-testid=alert-roles]", "liaison")
    page.fill("[data-testid=alert-form] [name=title]", "只通知联络员")
    page.fill("[data-testid=alert-form] [name=needed]", "0")  # never escalates (widening onto other tests' phones)
    wait_until(page, "() => document.querySelector('[data-testid=alert-preview-count]').dataset.state === 'ready'")
    with page.expect_request(lambda r: r.url.endswith("/api/v1/alerts") and r.method == "POST") as sent:
        page.click("[data-testid=alert-send]")
    body = sent.value.post_data_json
    assert (body["radius_m"], body["roles"], body["team_ids"], body["sectors"]) == (2000, ["liaison"], [], [])

    board = page.wait_for_selector("[data-testid=alert-board]", timeout=10_000)
    alert = api_as(web_stack.url, QIBIN_COORDINATOR, "GET", f"alerts/{board.get_attribute('data-alert-id')}")
    assert (alert["radius_m"], alert["roles"]) == (2000, ["liaison"])
    _cancel(web_stack.url, QIBIN_COORDINATOR, alert["id"])
