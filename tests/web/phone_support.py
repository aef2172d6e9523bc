"""What the phone tests share: API calls as a coordinator or host (over HTTP, as an integrator
would), the phone members to use, and points in 淇滨区 away from the other journeys' alerts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from geopy.distance import geodesic

from tests.web.conftest import PASSWORD, WebStack

QIBIN_COORDINATOR = "county_410611"
CITY_ADMIN = "admin"
# Township centres of 淇滨区 far from 金山街道, where the other journeys raise their alerts.
SHANGYU = (35.853430, 114.166697)  # 上峪乡
DAHEJIAN = (35.885931, 114.104938)  # 大河涧乡


def point_at(origin: tuple[float, float], *, metres: float, bearing: float = 0.0) -> tuple[float, float]:
    found = geodesic(meters=metres).destination(origin, bearing)
    return found.latitude, found.longitude


def token(stack: WebStack, username: str) -> str:
    response = requests.post(
        f"{stack.url}/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=10
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def api(stack: WebStack, bearer: str, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(
        method,
        f"{stack.url}/api/v1/{path}",
        json=body,
        headers={"Authorization": f"Bearer {bearer}", "Accept-Language": "en"},
        timeout=10,
    )


def qibin_members(stack: WebStack, count: int) -> list[str]:
    """Seeded volunteers homed in 淇滨区 (a 淇滨区 coordinator's alert reaches only its own members)."""
    found = stack.shell(
        "from core.models import Person;"
        "print(','.join(Person.objects.filter(home_area__code__startswith='410611', user__username__startswith='vol')"
        f".order_by('user__username').values_list('user__username', flat=True)[:{count}]))"
    )
    names = found.split(",")
    assert len(names) == count, found
    return names


def raise_alert(stack: WebStack, bearer: str, *, at: tuple[float, float], title: str, radius_m: int = 400) -> int:
    response = api(
        stack,
        bearer,
        "POST",
        "alerts",
        {
            "kind": "injured_person",
            "severity": "severe",
            "title": title,
            "description": "路口有老人摔倒，需要帮助。",
            "lat": at[0],
            "lon": at[1],
            "radius_m": radius_m,
            "needed": 1,
        },
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def eventually(
    check: Callable[[], Any],
    *,
    page: Any,
    attempts: int = 40,
    pause: float = 0.25,
    why: Callable[[], Any] | None = None,
) -> Any:
    """Poll `check` (bounded) until it returns something truthy; return that. On giving up, the
    failure says what `why()` returns (what the page knows about it).

    It waits through the page: Playwright's sync API only answers the browser's intercepted
    requests (the loopback-only route) while it is called, so a plain sleep would stall the page.
    """
    result = None
    for _ in range(attempts):
        result = check()
        if result:
            return result
        page.wait_for_timeout(pause * 1000)
    raise AssertionError(f"still {result!r} after {attempts} attempts" + (f"; {why()!r}" if why else ""))


def go_on_duty(page: Any) -> None:
    page.click("[data-testid=duty-toggle]")
    page.wait_for_selector("[data-testid=duty-toggle][aria-pressed=true]")


def located(stack: WebStack, bearer: str) -> dict[str, Any] | None:
    response = api(stack, bearer, "GET", "me/location")
    return response.json() if response.status_code == 200 else None


@contextmanager
def on_duty(
    stack: WebStack, username: str, *, phone: Any = None, at: tuple[float, float] | None = None
) -> Iterator[str]:
    """`username` on duty for the `with` block and off duty after it, however it ends, so that the
    alerts of the tests that follow never ring them (the database lives as long as the session).
    Yields their bearer token.

    With `phone` (their signed-in phone page, its browser's geolocation near the point), the phone's
    own duty toggle puts them on duty, and the block starts once the server holds the phone's first
    fix. With `at`, the API does, as a phone would: duty on, then a WGS-84 fix there."""
    if (phone is None) == (at is None):
        raise TypeError("on_duty takes either a phone page or a point")
    bearer = token(stack, username)
    try:
        if phone is not None:
            go_on_duty(phone)
            eventually(lambda: located(stack, bearer), page=phone)
        else:
            assert at is not None
            duty = api(stack, bearer, "PUT", "me/duty", {"on_duty": True})
            assert duty.status_code == 200, duty.text
            here = {"lat": at[0], "lon": at[1], "datum": "wgs84", "accuracy_m": 15}
            fix = api(stack, bearer, "PUT", "me/location", here)
            assert fix.status_code == 200, fix.text
        yield bearer
    finally:
        api(stack, bearer, "PUT", "me/duty", {"on_duty": False})


def checked_in(page: Any, session_id: int, code: str) -> Any:
    """Type the host's code into the phone's check-in form and submit it; return the check-in result.

    It waits for the result or an error, whichever shows first, so a refused code fails at once
    with the phone's own message rather than as a 30-second timeout.
    """
    item = f"[data-session-id='{session_id}']"
    page.fill(f"{item} [data-testid=checkin-code]", code)
    page.click(f"{item} [data-testid=checkin-submit]")
    shown = page.wait_for_selector(f"{item} [data-testid=checkin-result], {item} [data-testid=checkin-error]:visible")
    typed = (
        page.eval_on_selector(f"{item} [data-testid=checkin-code]", "node => node.value")
        if shown.get_attribute("data-testid") != "checkin-result"
        else code
    )
    assert shown.get_attribute("data-testid") == "checkin-result", (
        f"code {code} (the form held {typed}) was refused: {shown.text_content()}"
    )
    return shown
