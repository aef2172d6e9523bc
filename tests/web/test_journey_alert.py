"""Journey 1: a 淇滨区 coordinator raises a 2 km alert on the map; two phones on duty inside the radius
(one connected to the second server process) ring within 2 s; one accepts and the board shows it within
2 s; the coordinator cancels and both phones show the cancellation (tests/web/journeys.py)."""

from __future__ import annotations

from typing import Any

from tests.conftest import JINSHAN
from tests.web.conftest import WebStack, sign_in
from tests.web.journeys import phone_on_duty, raise_accept_cancel
from tests.web.phone_support import eventually, located, point_at, qibin_members, token

COORDINATOR = "county_410611"  # 淇滨区
# Near 金山街道's centre: the phone tests keep their alerts away from it.
SCENE = point_at(JINSHAN, metres=300, bearing=200)


def test_journey_1_an_alert_raised_on_the_map_rings_two_phones_shows_an_accept_and_is_cancelled(
    two_servers: WebStack, new_page: Any
) -> None:
    stack = two_servers
    first, second = qibin_members(stack, 8)[6:8]
    phone_a = phone_on_duty(new_page, stack.urls[0], first, point_at(SCENE, metres=700, bearing=0))
    phone_b = phone_on_duty(new_page, stack.urls[1], second, point_at(SCENE, metres=900, bearing=90))
    for username, phone in ((first, phone_a), (second, phone_b)):
        eventually(lambda username=username: located(stack, token(stack, username)), page=phone)
    dashboard = new_page("desktop")
    sign_in(dashboard, stack.url, COORDINATOR)
    dashboard.wait_for_selector("[data-testid=map][data-ready=true]", timeout=20_000)

    raise_accept_cancel(dashboard, [phone_a, phone_b], scene=SCENE, screenshot_as="dashboard-alert-board-zh-hans")
