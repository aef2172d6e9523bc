"""Journey 3: a city training is scheduled on the dashboard; the phone lists it; check-in with the code
shown on the host's page succeeds; the host's live attendance counter goes up."""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import WebStack, screenshot, sign_in
from tests.web.phone_support import checked_in, qibin_members

TITLE = "全市义警急救技能培训"


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

    # The city's admin schedules a training for the volunteers of the member's township.
    host.click("[data-testid=nav-sessions]")
    host.click("[data-testid=session-new]")
    form = host.wait_for_selector("[data-testid=session-form]")
    assert host.input_value("[data-testid=session-form] [name=host_area_code]") == "410600"
    host.fill("[data-testid=session-form] [name=title]", TITLE)
    host.select_option("[data-testid=session-areas]", [home])
    host.check("[data-testid=session-form] input[name=roles][value=volunteer]")
    form.query_selector("[data-testid=session-create]").click()
    card = host.wait_for_selector("[data-testid=session-card][data-status=scheduled]", timeout=10_000)
    session_id = card.get_attribute("data-session-id")

    # The phone lists it (the invitation arrives live).
    listed = phone.wait_for_selector(f"[data-testid=session-list] [data-session-id='{session_id}']", timeout=10_000)
    assert TITLE in (listed.text_content() or "")

    # The host starts it and shows the rotating code; the phone checks in with it.
    host.click("[data-testid=session-start]")
    host.wait_for_selector(f"[data-testid=session-card][data-session-id='{session_id}'][data-status=started]")
    host.wait_for_function(
        "() => /^\\d{6}$/.test(document.querySelector('[data-testid=checkin-code-display]').textContent)"
    )
    assert host.text_content("[data-testid=attendance-counter]") == "0"
    assert (host.get_attribute("[data-testid=checkin-qr]", "src") or "").startswith("data:image/svg+xml")
    code = str(host.text_content("[data-testid=checkin-code-display]"))
    assert re.fullmatch(r"\d{6}", code)
    result = checked_in(phone, session_id, code)
    assert result.get_attribute("data-status") == "present"
    # The live counter goes up.
    host.wait_for_selector("[data-testid=attendance-counter]:text-is('1')", timeout=2000)
    screenshot(host, "dashboard-session-zh-hans")
