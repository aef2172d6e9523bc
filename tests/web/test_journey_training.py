"""Journey 3: a city training is scheduled on the dashboard; the phone lists it; check-in with the code
shown on the host's page succeeds; the host's live attendance counter goes up."""

from __future__ import annotations

import re
from typing import Any

from tests.browser import wait_until
from tests.web.conftest import WebStack, screenshot, sign_in
from tests.web.phone_support import api, checked_in, eventually, qibin_members, token

TITLE = "全市义警急救技能培训"
COUNTY = "410611"  # 淇滨区: the city's session is relayed to it, and from it to the townships invited
TOWNSHIP = "410611001"  # 金山街道, whose seeded coordinator confirms the township's receipt

# Every text the projected check-in code shows from now on that is not a code (a blank while redrawn).
WATCH_CODE = """() => {
  window.codeGaps = [];
  new MutationObserver(() => {
    const node = document.querySelector("[data-testid=checkin-code-display]");
    const text = node ? node.textContent : "(gone)";
    if (!/^\\d{6}$/.test(text)) window.codeGaps.push(text);
  }).observe(document.querySelector("[data-testid=session-detail]"),
    { subtree: true, childList: true, characterData: true });
}"""


def confirm_receipt(stack: WebStack, username: str, session_id: str, unit: str) -> None:
    answer = api(stack, token(stack, username), "POST", f"sessions/{session_id}/relays/{unit}/confirm", {})
    assert answer.status_code == 200, answer.text


def test_journey_3_a_city_training_scheduled_on_the_dashboard_is_checked_into_from_a_phone(
    web_stack: WebStack, new_page: Any
) -> None:
    member = qibin_members(web_stack, 9)[8]
    home = web_stack.shell(
        f"from core.models import Person; print(Person.objects.get(user__username='{member}').home_area_id)"
    )
    phone = new_page("phone")
    sign_in(phone, web_stack.url, member)
    phone.wait_for_selector("[data-testid=conn-state][data-state=open]", timeout=10_000)
    phone.click("[data-testid=tab-sessions]")
    host = new_page("desktop")
    sign_in(host, web_stack.url, "admin")

    # The city's admin schedules a training for the volunteers of the member's township and 金山街道.
    host.click("[data-testid=nav-sessions]")
    host.click("[data-testid=session-new]")
    form = host.wait_for_selector("[data-testid=session-form]")
    assert host.input_value("[data-testid=session-form] [name=host_area_code]") == "410600"
    host.fill("[data-testid=session-form] [name=title]", TITLE)
    host.select_option("[data-testid=session-areas]", sorted({home, TOWNSHIP}))
    host.check("[data-testid=session-form] input[name=roles][value=volunteer]")
    form.query_selector("[data-testid=session-create]").click()
    card = host.wait_for_selector("[data-testid=session-card][data-status=scheduled]", timeout=10_000)
    session_id = card.get_attribute("data-session-id")

    # The phone lists it (the invitation arrives live).
    listed = phone.wait_for_selector(f"[data-testid=session-list] [data-session-id='{session_id}']", timeout=10_000)
    assert TITLE in (listed.text_content() or "")

    # The host starts it. While the start is on its way (held here), the county's receipt comes in and the
    # page is drawn again: "Start now" stays off, so a second click cannot send it twice.
    card_of = f"[data-testid=session-card][data-session-id='{session_id}']"
    held: list[Any] = []
    host.route(f"**/api/v1/sessions/{session_id}/start", lambda route: held.append(route))
    host.click("[data-testid=session-start]")
    eventually(lambda: held, page=host)
    assert host.is_disabled(f"{card_of} [data-testid=session-start]")
    confirm_receipt(web_stack, f"county_{COUNTY}", str(session_id), COUNTY)
    host.wait_for_selector(f"[data-testid=relay-table] tr[data-area-code='{COUNTY}'][data-status=confirmed]")
    assert host.is_disabled(f"{card_of} [data-testid=session-start]")
    assert host.is_disabled(f"{card_of} [data-testid=session-cancel]")
    held[0].continue_()
    host.unroute(f"**/api/v1/sessions/{session_id}/start")
    host.wait_for_selector(f"{card_of}[data-status=started]")
    wait_until(host, "() => /^\\d{6}$/.test(document.querySelector('[data-testid=checkin-code-display]').textContent)")
    assert host.text_content("[data-testid=attendance-counter]") == "0"
    assert (host.get_attribute("[data-testid=checkin-qr]", "src") or "").startswith("data:image/svg+xml")
    code = str(host.text_content("[data-testid=checkin-code-display]"))
    assert re.fullmatch(r"\d{6}", code)

    # The township's receipt redraws the page; the code projected for the room never blanks.
    host.evaluate(WATCH_CODE)
    confirm_receipt(web_stack, f"township_{TOWNSHIP}", str(session_id), TOWNSHIP)
    host.wait_for_selector(f"[data-testid=relay-table] tr[data-area-code='{TOWNSHIP}'][data-status=confirmed]")
    assert host.evaluate("window.codeGaps") == []
    # A read that fails (the relays, here) leaves the page as it was, code and all, and says so.
    host.route(f"**/api/v1/sessions/{session_id}/relays", lambda route: route.abort())
    host.click("[data-testid=nav-map]")
    host.go_back()  # to #sessions/<id>: the page reads the session again
    host.wait_for_selector("[data-testid=toast][data-kind=error]:visible:has-text('无法连接服务器')", timeout=5000)
    host.unroute(f"**/api/v1/sessions/{session_id}/relays")
    assert host.is_visible(f"{card_of}[data-status=started]")
    assert host.evaluate("window.codeGaps") == []
    code = str(host.text_content("[data-testid=checkin-code-display]"))
    assert re.fullmatch(r"\d{6}", code)
    result = checked_in(phone, session_id, code)
    assert result.get_attribute("data-status") == "present"
    # The live counter goes up.
    host.wait_for_selector("[data-testid=attendance-counter]:text-is('1')", timeout=2000)
    screenshot(host, "dashboard-session-zh-hans")
