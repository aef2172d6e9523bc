"""The dashboard's notices: what was passed to a coordinator while no dashboard of theirs was open is
listed when they come back (from the socket's replay), news raises a toast, and read stays read."""

from __future__ import annotations

import uuid
from typing import Any

from tests.browser import wait_until
from tests.web.conftest import WebStack, screenshot, sign_in
from tests.web.phone_support import QIBIN_COORDINATOR, qibin_members
from tests.web.test_session_actions import home_of, schedule

NOTICE = "[data-testid=notice-list] [data-testid=notice]"


def notice_of(page: Any, title: str) -> dict[str, Any] | None:
    """The listed notice whose text names `title`: its link, whether unread, and its note."""
    return page.evaluate(
        """title => {
          const li = [...document.querySelectorAll('[data-testid=notice-list] [data-testid=notice]')]
            .find((n) => n.textContent.includes(title));
          return li ? { href: li.querySelector('a').getAttribute('href'), unread: li.dataset.unread === 'true',
                        note: li.querySelector('small').textContent, type: li.dataset.type } : null;
        }""",
        title,
    )


def unread_badge(page: Any) -> str | None:
    badge = page.query_selector("[data-testid=notices-count]")
    return None if badge is None or badge.is_hidden() else badge.text_content()


def test_a_session_passed_down_while_away_is_listed_on_return_and_news_rings(
    web_stack: WebStack, new_page: Any
) -> None:
    township = home_of(web_stack, qibin_members(web_stack, 3)[2])
    tag = uuid.uuid4().hex[:6]
    # Given a city training passed down to 淇滨区 while its coordinator has no dashboard open,
    away = schedule(web_stack, f"离开期间下发{tag}", township)

    # when the coordinator opens the dashboard (in a browser that never saw their stream),
    page = new_page("desktop")
    sign_in(page, web_stack.url, QIBIN_COORDINATOR)
    page.goto(f"{web_stack.url}/dashboard/#map")
    page.wait_for_selector("[data-testid=conn-state][data-state=open]", timeout=10_000)

    # then one toast counts what came while away (not a toast per notice), the bell shows them unread,
    toast = page.wait_for_selector("[data-testid=toast]:visible:has-text('离开期间收到的通知')", timeout=10_000)
    assert "条" in (toast.text_content() or "")
    wait_until(page, "() => Number(document.querySelector('[data-testid=notices-button]').dataset.unread) >= 1")
    page.click("[data-testid=notices-button]")
    missed = notice_of(page, f"离开期间下发{tag}")
    assert missed is not None
    assert (missed["href"], missed["unread"], missed["type"]) == (f"#sessions/{away}", True, "session.relayed")
    assert missed["note"].endswith("离开期间收到")
    screenshot(page, "dashboard-notices-missed")

    # and once read, they stay read, across a reload (which replays nothing already seen).
    page.click("[data-testid=notices-read]")
    assert unread_badge(page) is None
    page.reload()
    page.wait_for_selector("[data-testid=conn-state][data-state=open]", timeout=10_000)
    page.wait_for_timeout(800)  # a replay, had there been one, would have landed by now
    assert unread_badge(page) is None
    assert page.get_attribute("[data-testid=notices-button]", "data-unread") == "0"

    # News while the dashboard is open: a toast that names it, one unread, listed first and not as missed.
    live = schedule(web_stack, f"实时下发{tag}", township)
    toast = page.wait_for_selector(f"[data-testid=toast]:visible:has-text('实时下发{tag}')", timeout=10_000)
    assert "下发" in (toast.text_content() or "")
    wait_until(page, "() => document.querySelector('[data-testid=notices-button]').dataset.unread === '1'")
    assert unread_badge(page) == "1"
    page.click("[data-testid=notices-button]")
    first = page.eval_on_selector(NOTICE, "li => li.textContent")
    assert f"实时下发{tag}" in first
    news = notice_of(page, f"实时下发{tag}")
    assert news is not None
    assert news["unread"]
    assert "离开期间收到" not in news["note"]

    # Opening it goes to the session and marks it read.
    page.click(f"{NOTICE}[data-unread=true] a")
    page.wait_for_selector(f"[data-testid=session-card][data-session-id='{live}']", timeout=10_000)
    assert page.evaluate("location.hash") == f"#sessions/{live}"
    assert page.is_hidden("[data-testid=notices]")
    assert unread_badge(page) is None
