"""Journey 2: a phone page goes offline, two alerts are raised, the phone comes back, shows each
exactly once and rings the newer; and the installed app still opens, with its alerts, without a
network."""

from __future__ import annotations

from typing import Any

from tests.browser import wait_until
from tests.web.conftest import WebStack, sign_in
from tests.web.phone_support import (
    DAHEJIAN,
    QIBIN_COORDINATOR,
    on_duty,
    point_at,
    qibin_members,
    raise_alert,
    token,
)

ALERT_ITEMS = "[data-testid=alert-list] [data-alert-id]"
ALERT_IDS = "ns => ns.map(n => Number(n.dataset.alertId))"


def test_a_phone_that_was_offline_shows_the_alerts_raised_meanwhile_exactly_once_and_rings_the_newest(
    web_stack: WebStack, new_page: Any
) -> None:
    member = qibin_members(web_stack, 6)[5]
    scene = point_at(DAHEJIAN, metres=500, bearing=90)
    page = new_page(
        "phone",
        geolocation={"latitude": DAHEJIAN[0], "longitude": DAHEJIAN[1], "accuracy": 20},
        permissions=["geolocation"],
    )
    sign_in(page, web_stack.url, member)
    page.wait_for_selector("[data-testid=conn-state][data-state=open]")
    with on_duty(web_stack, member, phone=page):
        # The service worker has taken the page over (it keeps the shell for offline use).
        wait_until(page, "navigator.serviceWorker && navigator.serviceWorker.controller !== null")
        page.context.set_offline(True)
        page.wait_for_selector("[data-testid=conn-state][data-state=offline]")

        coordinator = token(web_stack, QIBIN_COORDINATOR)
        older = raise_alert(
            web_stack, coordinator, at=point_at(DAHEJIAN, metres=300, bearing=180), title="桥下有人呼救"
        )
        alert_id = raise_alert(web_stack, coordinator, at=scene, title="河边有人落水", radius_m=800)
        page.context.set_offline(False)

        # The newer alert rings and opens; the older one (the replay's first event) neither rings nor
        # takes the screen over afterwards.
        page.wait_for_selector(f"[data-testid=alert-screen][data-alert-id='{alert_id}'][data-status=active]")
        page.wait_for_selector("[data-testid=conn-state][data-state=open]")
        page.wait_for_timeout(1000)
        assert page.query_selector(f"[data-testid=alert-screen][data-alert-id='{alert_id}']")
        assert page.evaluate("zqPhone.ringLog") == [alert_id]
        assert page.eval_on_selector_all(ALERT_ITEMS, ALERT_IDS) == [alert_id, older]

        # A reload reconnects (replay from the last processed seq): still exactly one of each.
        page.reload()
        page.wait_for_selector("[data-testid=conn-state][data-state=open]")
        assert page.eval_on_selector_all(ALERT_ITEMS, ALERT_IDS) == [alert_id, older]
        assert page.evaluate("zqPhone.ringLog") == []

        # Without any network the app still opens from the service worker, with the alert kept on the phone.
        page.context.set_offline(True)
        page.reload()
        page.wait_for_selector(f"{ALERT_ITEMS}[data-alert-id='{alert_id}']")
        assert page.eval_on_selector_all(ALERT_ITEMS, "ns => ns.length") == 2
        assert "河边有人落水" in page.text_content(f"[data-alert-id='{alert_id}']")
        page.wait_for_selector("[data-testid=conn-state][data-state=offline]")
        page.context.set_offline(False)
