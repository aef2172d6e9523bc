"""Journey 1 in the browser, shared by tests/web/test_journey_alert.py (two server processes) and
tests/deploy/test_nginx_browser.py (the same two processes behind the sample nginx over TLS).

The journey: phones on duty near a scene; the coordinator clicks the scene on the dashboard map,
sees the recipient count, sends; both phones ring within 2 s; one accepts and the board shows it
within 2 s; the coordinator cancels and both phones show the cancellation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.browser import wait_until
from tests.web.conftest import PASSWORD, screenshot, sign_in
from tests.web.phone_support import eventually, go_on_duty


def phone_on_duty(
    new_page: Any, base_url: str, username: str, at: tuple[float, float], *, password: str = PASSWORD, **options: Any
) -> Any:
    """A phone page signed in at base_url, its socket open, on duty at `at` (its browser's geolocation)."""
    page = new_page(
        "phone",
        geolocation={"latitude": at[0], "longitude": at[1], "accuracy": 10},
        permissions=["geolocation", "notifications"],
        **options,
    )
    sign_in(page, base_url, username, password)
    page.wait_for_selector("[data-testid=conn-state][data-state=open]", timeout=10_000)
    go_on_duty(page)
    return page


def click_map_at(page: Any, at: tuple[float, float]) -> None:
    x, y = page.evaluate(
        """([lat, lon]) => {
          const map = zqDash.map.leaflet;
          const p = map.latLngToContainerPoint(zqDash.map.toDisplay(lat, lon));
          return [p.x, p.y];
        }""",
        list(at),
    )
    page.click("[data-testid=map]", position={"x": x, "y": y})


def previewed(page: Any) -> str:
    page.wait_for_selector("[data-testid=alert-preview-count][data-state=ready]", timeout=10_000)
    return str(page.text_content("[data-testid=alert-preview-count]"))


def raise_accept_cancel(
    dashboard: Any, phones: Sequence[Any], *, scene: tuple[float, float], screenshot_as: str | None = None
) -> str:
    """Run the dashboard's side of Journey 1 against two ringing phones; returns the alert's id.

    `dashboard` is a signed-in coordinator's dashboard page with its map ready; `phones` are two
    phone pages on duty within 2 km of `scene` (and the only on-duty members there)."""
    phone_a, phone_b = phones
    # Given the coordinator clicked the scene: a 2 km circle and the recipient count before sending.
    click_map_at(dashboard, scene)
    form = dashboard.wait_for_selector("[data-testid=alert-form]:visible")
    dashboard.fill("[data-testid=alert-form] [name=title]", "老人摔倒，需要帮助")
    assert dashboard.input_value("[data-testid=alert-form] [name=radius_m]") == "2000"
    eventually(
        lambda: previewed(dashboard) == "2" or click_map_at(dashboard, scene), page=dashboard, attempts=20, pause=0.5
    )

    # When it is sent, both phones ring within 2 s.
    form.query_selector("[data-testid=alert-send]").click()
    ringing_a = phone_a.wait_for_selector("[data-testid=alert-screen][data-status=active]", timeout=2000)
    ringing_b = phone_b.wait_for_selector("[data-testid=alert-screen][data-status=active]", timeout=2000)
    board = dashboard.wait_for_selector("[data-testid=alert-board]", timeout=5000)
    alert_id = str(board.get_attribute("data-alert-id"))
    assert ringing_a.get_attribute("data-alert-id") == ringing_b.get_attribute("data-alert-id") == alert_id
    assert dashboard.text_content("[data-testid=board-recipients]") == "2"

    # The coordinator starts typing why they will cancel while the board is still live.
    reason = f"[data-testid=alert-board][data-alert-id='{alert_id}'] [data-testid=alert-cancel-reason]"
    dashboard.click(reason)
    dashboard.keyboard.type("家属已送医")

    # One accepts: the board shows it within 2 s.
    phone_a.click(f"[data-testid=alert-screen][data-alert-id='{alert_id}'] [data-action=accepted]")
    wait_until(
        dashboard,
        "() => document.querySelector('[data-testid=alert-board] [data-testid=board-accepted]').textContent === '1'",
        timeout=2000,
    )
    # The board is drawn again with the accept in its table; the half-typed reason is still there, still
    # focused, and the typing goes on at its end.
    dashboard.wait_for_selector("[data-testid=alert-board] tbody [data-state=accepted]", timeout=5000)
    dashboard.keyboard.type("，误报")
    assert dashboard.input_value(reason) == "家属已送医，误报"
    if screenshot_as:
        screenshot(dashboard, screenshot_as)

    # The coordinator cancels. While the cancel is on its way (held here) the other phone declines and
    # the board is drawn again: escalate and cancel stay off, so a second click cannot send it twice.
    board_of = f"[data-testid=alert-board][data-alert-id='{alert_id}']"
    held: list[Any] = []
    dashboard.route(f"**/api/v1/alerts/{alert_id}/cancel", lambda route: held.append(route))
    # It asks first: answered "no", nothing is sent.
    questions: list[str] = []
    dashboard.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    dashboard.click(f"{board_of} [data-testid=alert-cancel]")
    eventually(lambda: questions, page=dashboard)
    dashboard.wait_for_timeout(300)
    assert not held
    assert not dashboard.is_disabled(f"{board_of} [data-testid=alert-cancel]")
    dashboard.once("dialog", lambda dialog: dialog.accept())
    dashboard.click(f"{board_of} [data-testid=alert-cancel]")
    eventually(lambda: held, page=dashboard)
    phone_b.click(f"[data-testid=alert-screen][data-alert-id='{alert_id}'] [data-action=declined]")
    dashboard.wait_for_selector(f"{board_of} tbody [data-state=declined]", timeout=5000)
    assert dashboard.is_disabled(f"{board_of} [data-testid=alert-cancel]")
    assert dashboard.is_disabled(f"{board_of} [data-testid=alert-escalate]")
    held[0].continue_()
    dashboard.unroute(f"**/api/v1/alerts/{alert_id}/cancel")

    # Both phones show the cancellation and its reason.
    for phone in (phone_a, phone_b):
        phone.wait_for_selector(f"[data-testid=alert-screen][data-alert-id='{alert_id}'][data-status=cancelled]")
        assert phone.is_visible("[data-testid=alert-cancelled]")
        assert "家属已送医，误报" in (phone.text_content("[data-testid=alert-cancelled]") or "")
    dashboard.wait_for_selector(f"[data-testid=alert-board][data-alert-id='{alert_id}'][data-status=cancelled]")
    return alert_id
