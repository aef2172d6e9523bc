"""Journey 1: a 淇滨区 coordinator raises a 2 km alert on the map; two phones on duty inside the radius
(one connected to the second server process) ring within 2 s; one accepts and the board shows it within
2 s; the coordinator cancels and both phones show the cancellation."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import WebStack, screenshot, sign_in
from tests.web.phone_support import eventually, go_on_duty, located, point_at, qibin_members, token

COORDINATOR = "county_410611"  # 淇滨区
JINSHAN = (35.774691, 114.240340)  # 金山街道's centre; the phone tests keep their alerts away from it
SCENE = point_at(JINSHAN, metres=300, bearing=200)


def _phone_on_duty(new_page: Any, base_url: str, username: str, at: tuple[float, float]) -> Any:
    page = new_page(
        "phone",
        geolocation={"latitude": at[0], "longitude": at[1], "accuracy": 10},
        permissions=["geolocation", "notifications"],
    )
    sign_in(page, base_url, username)
    page.wait_for_selector("[data-testid=conn-state][data-state=open]", timeout=10_000)
    go_on_duty(page)
    return page


def _click_map_at(page: Any, at: tuple[float, float]) -> None:
    x, y = page.evaluate(
        """([lat, lon]) => {
          const map = zqDash.map.leaflet;
          const p = map.latLngToContainerPoint(zqDash.map.toDisplay(lat, lon));
          return [p.x, p.y];
        }""",
        list(at),
    )
    page.click("[data-testid=map]", position={"x": x, "y": y})


def _previewed(page: Any) -> str:
    page.wait_for_selector("[data-testid=alert-preview-count][data-state=ready]", timeout=10_000)
    return str(page.text_content("[data-testid=alert-preview-count]"))


def test_journey_1_an_alert_raised_on_the_map_rings_two_phones_shows_an_accept_and_is_cancelled(
    two_servers: WebStack, new_page: Any
) -> None:
    stack = two_servers
    first, second = qibin_members(stack, 8)[6:8]
    phone_a = _phone_on_duty(new_page, stack.urls[0], first, point_at(SCENE, metres=700, bearing=0))
    phone_b = _phone_on_duty(new_page, stack.urls[1], second, point_at(SCENE, metres=900, bearing=90))
    for username, phone in ((first, phone_a), (second, phone_b)):
        eventually(lambda username=username: located(stack, token(stack, username)), page=phone)
    dashboard = new_page("desktop")
    sign_in(dashboard, stack.url, COORDINATOR)
    dashboard.wait_for_selector("[data-testid=map][data-ready=true]", timeout=20_000)

    # Given the coordinator clicked the scene: a 2 km circle and the recipient count before sending.
    _click_map_at(dashboard, SCENE)
    form = dashboard.wait_for_selector("[data-testid=alert-form]:visible")
    dashboard.fill("[data-testid=alert-form] [name=title]", "老人摔倒，需要帮助")
    assert dashboard.input_value("[data-testid=alert-form] [name=radius_m]") == "2000"
    eventually(
        lambda: _previewed(dashboard) == "2" or _click_map_at(dashboard, SCENE), page=dashboard, attempts=20, pause=0.5
    )

    # When it is sent, both phones ring within 2 s.
    form.query_selector("[data-testid=alert-send]").click()
    ringing_a = phone_a.wait_for_selector("[data-testid=alert-screen][data-status=active]", timeout=2000)
    ringing_b = phone_b.wait_for_selector("[data-testid=alert-screen][data-status=active]", timeout=2000)
    board = dashboard.wait_for_selector("[data-testid=alert-board]", timeout=5000)
    alert_id = board.get_attribute("data-alert-id")
    assert ringing_a.get_attribute("data-alert-id") == ringing_b.get_attribute("data-alert-id") == alert_id
    assert dashboard.text_content("[data-testid=board-recipients]") == "2"

    # One accepts: the board shows it within 2 s.
    phone_a.click(f"[data-testid=alert-screen][data-alert-id='{alert_id}'] [data-action=accepted]")
    dashboard.wait_for_function(
        "() => document.querySelector('[data-testid=alert-board] [data-testid=board-accepted]').textContent === '1'",
        timeout=2000,
    )
    screenshot(dashboard, "dashboard-alert-board-zh-hans")

    # The coordinator cancels: both phones show the cancellation.
    dashboard.click(f"[data-testid=alert-board][data-alert-id='{alert_id}'] [data-testid=alert-cancel]")
    for phone in (phone_a, phone_b):
        phone.wait_for_selector(f"[data-testid=alert-screen][data-alert-id='{alert_id}'][data-status=cancelled]")
        assert phone.is_visible("[data-testid=alert-cancelled]")
    dashboard.wait_for_selector(f"[data-testid=alert-board][data-alert-id='{alert_id}'][data-status=cancelled]")
