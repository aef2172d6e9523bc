"""Read receipts in Chromium: the phone that shows an alert's full screen marks it read (once, retried
after a failure, never again after a reload), and the coordinator's board counts it live."""

from __future__ import annotations

from typing import Any

from tests.browser import wait_until
from tests.web.conftest import WebStack, sign_in
from tests.web.phone_support import (
    DAHEJIAN,
    QIBIN_COORDINATOR,
    api,
    eventually,
    on_duty,
    point_at,
    qibin_members,
    raise_alert,
    token,
)

# West of 大河涧乡, away from the other journeys' alerts there (east and south of it).
SCENE = point_at(DAHEJIAN, metres=2500, bearing=270)


def _person_id(stack: WebStack, username: str) -> int:
    found = stack.shell(f"from core.models import Person; print(Person.objects.get(user__username={username!r}).pk)")
    return int(found.strip())


def _board_text(page: Any, alert_id: int) -> Any:
    return page.evaluate(
        """(id) => {
          const card = document.querySelector(`[data-testid=alert-board][data-alert-id="${id}"]`);
          if (!card) return null;
          const rows = [...card.querySelectorAll("tbody tr")].map((r) =>
            [Number(r.dataset.personId), r.querySelector("[data-testid=recipient-read]").dataset.read]);
          return { read: card.querySelector("[data-testid=board-read]").textContent, rows: rows };
        }""",
        alert_id,
    )


def test_a_phone_showing_the_alert_marks_it_read_once_and_the_board_counts_it(
    web_stack: WebStack, new_page: Any
) -> None:
    reader, other = qibin_members(web_stack, 22)[20:22]
    reader_id, other_id = _person_id(web_stack, reader), _person_id(web_stack, other)
    here = point_at(SCENE, metres=120, bearing=0)
    phone = new_page(
        "phone",
        geolocation={"latitude": here[0], "longitude": here[1], "accuracy": 12},
        permissions=["geolocation", "notifications"],
    )
    sign_in(phone, web_stack.url, reader)
    phone.wait_for_selector("[data-testid=conn-state][data-state=open]")
    coordinator = token(web_stack, QIBIN_COORDINATOR)
    # The other recipient has no phone open: their alert stays unread.
    there = point_at(SCENE, metres=150, bearing=180)
    with on_duty(web_stack, reader, phone=phone), on_duty(web_stack, other, at=there):
        # The first read fails (the network drops it): nothing is recorded, and the screen is not held up.
        attempts: list[str] = []
        phone.route("**/api/v1/alerts/*/read", lambda route: (attempts.append(route.request.url), route.abort()))

        alert_id = raise_alert(web_stack, coordinator, at=SCENE, title="已读回执", radius_m=300)

        phone.wait_for_selector(f"[data-testid=alert-screen][data-alert-id='{alert_id}'][data-status=active]")
        eventually(lambda: attempts, page=phone)
        assert api(web_stack, coordinator, "GET", f"alerts/{alert_id}/board").json()["read"] == 0
        dashboard = new_page("desktop", "en")
        sign_in(dashboard, web_stack.url, QIBIN_COORDINATOR)
        dashboard.goto(f"{web_stack.url}/dashboard/#alerts/{alert_id}")
        shown = eventually(lambda: _board_text(dashboard, alert_id), page=dashboard)
        assert shown == {"read": "0", "rows": [[reader_id, "false"], [other_id, "false"]]}

        # Shown again with the network back: it is read, and the open board counts it live.
        phone.unroute("**/api/v1/alerts/*/read")
        phone.click("[data-testid=alert-close]")
        phone.click(f"[data-testid=alert-list] [data-alert-id='{alert_id}'] button")

        board = eventually(
            lambda: (b := api(web_stack, coordinator, "GET", f"alerts/{alert_id}/board").json())["read"] == 1 and b,
            page=phone,
        )
        read_at = {r["person_id"]: r["read_at"] for r in board["recipients"]}
        assert read_at[reader_id] is not None
        assert read_at[other_id] is None
        detail = api(web_stack, coordinator, "GET", f"alerts/{alert_id}").json()
        assert detail["deliveries"]["read"] == 1
        wait_until(dashboard, "document.querySelector('[data-testid=board-read]').textContent === '1'")
        assert eventually(
            lambda: (b := _board_text(dashboard, alert_id))["rows"] == [[reader_id, "true"], [other_id, "false"]] and b,
            page=dashboard,
        )

        # The phone remembers it sent the read: after a reload, showing the alert again sends nothing.
        sent_again: list[str] = []
        phone.on("request", lambda r: sent_again.append(r.url) if r.url.endswith(f"/alerts/{alert_id}/read") else None)
        phone.reload()
        phone.wait_for_selector("[data-testid=conn-state][data-state=open]")
        phone.click(f"[data-testid=alert-list] [data-alert-id='{alert_id}'] button")
        phone.wait_for_selector(f"[data-testid=alert-screen][data-alert-id='{alert_id}']")
        phone.wait_for_timeout(1000)
        assert sent_again == []
        kept = phone.evaluate(
            "Object.keys(localStorage).filter((k) => k.endsWith('.alerts'))"
            ".flatMap((k) => JSON.parse(localStorage.getItem(k))).map((a) => [a.id, a.read_sent])"
        )
        assert [alert_id, True] in kept
