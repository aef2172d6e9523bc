"""A session's detail on the dashboard acts, not only shows: a unit's coordinator confirms its receipt,
a host marks someone by hand, a coordinator decides a phone's leave request and the phone shows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.web.conftest import WebStack, screenshot, sign_in
from tests.web.phone_support import CITY_ADMIN, QIBIN_COORDINATOR, api, qibin_members, token

COUNTY = "410611"  # 淇滨区, where the invited members live: the city's session is relayed to it


def home_of(stack: WebStack, username: str) -> str:
    return stack.shell(
        f"from core.models import Person; print(Person.objects.get(user__username='{username}').home_area_id)"
    )


def schedule(stack: WebStack, title: str, township: str, *, relay_in_s: int | None = None) -> int:
    """A city video training (hosted by the city's admin) for the volunteers of one 淇滨区 township."""
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "kind": "training",
        "title": title,
        "start": (now + timedelta(minutes=20)).isoformat(),
        "end": (now + timedelta(minutes=80)).isoformat(),
        "mode": "video",
        "area_codes": [township],
        "roles": ["volunteer"],
    }
    if relay_in_s is not None:
        body["relay_deadline"] = (now + timedelta(seconds=relay_in_s)).isoformat()
    answer = api(stack, token(stack, CITY_ADMIN), "POST", "sessions", body)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def open_session(page: Any, stack: WebStack, username: str, session_id: int) -> Any:
    sign_in(page, stack.url, username)
    page.goto(f"{stack.url}/dashboard/#sessions/{session_id}")
    return page.wait_for_selector(f"[data-testid=session-card][data-session-id='{session_id}']", timeout=10_000)


def relays(stack: WebStack, session_id: int) -> dict[str, str]:
    answer = api(stack, token(stack, CITY_ADMIN), "GET", f"sessions/{session_id}/relays")
    assert answer.status_code == 200, answer.text
    return {r["area_code"]: r["status"] for r in answer.json()["items"]}


def test_a_county_coordinator_confirms_the_countys_receipt_in_the_page(web_stack: WebStack, new_page: Any) -> None:
    township = home_of(web_stack, qibin_members(web_stack, 1)[0])
    session_id = schedule(web_stack, "回执确认培训", township)
    page = new_page("desktop")
    open_session(page, web_stack, QIBIN_COORDINATOR, session_id)

    row = f"[data-testid=relay-table] tr[data-area-code='{COUNTY}']"
    page.wait_for_selector(f"{row}[data-status=pending] [data-testid=relay-confirm]")
    # Not the county's session to run: no start or cancel for its coordinator; but the county's room
    # shows the session's check-in code on its own screen (each room takes its own roll).
    assert page.query_selector("[data-testid=session-start]") is None
    assert page.query_selector("[data-testid=session-cancel]") is None
    page.wait_for_selector("[data-testid=checkin-code-display][data-valid-until]")
    page.click(f"{row} [data-testid=relay-confirm]")

    page.wait_for_selector(f"{row}[data-status=confirmed]")
    assert page.query_selector(f"{row} [data-testid=relay-confirm]") is None
    # Confirmed on the server, and passed on to the township, whose receipt the county coordinator
    # cannot give (only the township's own coordinator does): it shows, with no button.
    assert relays(web_stack, session_id) == {COUNTY: "confirmed", township: "pending"}
    below = f"[data-testid=relay-table] tr[data-area-code='{township}'][data-status=pending]"
    page.wait_for_selector(below)
    assert page.query_selector(f"{below} [data-testid=relay-confirm]") is None
    screenshot(page, "dashboard-session-receipt-confirmed")


def test_the_host_is_told_of_an_overdue_receipt_and_the_table_shows_it(two_servers: WebStack, new_page: Any) -> None:
    stack = two_servers
    township = home_of(stack, qibin_members(stack, 2)[1])
    session_id = schedule(stack, "回执逾期培训", township, relay_in_s=3)
    page = new_page("desktop")
    open_session(page, stack, CITY_ADMIN, session_id)
    row = f"[data-testid=relay-table] tr[data-area-code='{COUNTY}'][data-status=pending]"
    page.wait_for_selector(row)
    assert page.get_attribute(row, "data-overdue") is None
    page.wait_for_timeout(3500)  # past the receipt deadline

    # The deadline job, as the workers run it (published through Redis to the servers), run now rather
    # than waiting for the servers' own run (every 30 s; whichever comes first flags the unit, once).
    stack.shell(
        "from django.utils import timezone; from training.services.relays import relay_deadlines_due;"
        "print(relay_deadlines_due(now=timezone.now()))"
    )

    assert relays(stack, session_id) == {COUNTY: "pending"}
    # (Named: the page may also have said what reached the admin while no dashboard was open.)
    toast = page.wait_for_selector("[data-testid=toast]:visible:has-text('回执逾期培训')", timeout=10_000)
    assert "淇滨区" in (toast.text_content() or "")
    page.wait_for_selector(f"{row}[data-overdue=true]", timeout=5000)


def test_the_host_marks_one_invitee_excused_and_another_late_by_hand(web_stack: WebStack, new_page: Any) -> None:
    township = home_of(web_stack, qibin_members(web_stack, 3)[2])
    session_id = schedule(web_stack, "手工点名培训", township)
    admin = token(web_stack, CITY_ADMIN)
    first, second = api(web_stack, admin, "GET", f"sessions/{session_id}/attendees?limit=2").json()["items"]
    page = new_page("desktop")
    open_session(page, web_stack, CITY_ADMIN, session_id)

    row = f"[data-testid=attendee-table] tr[data-person-id='{first['person_id']}']"
    page.wait_for_selector(f"{row}[data-status=invited]")
    assert page.text_content(f"{row} td") == first["name"]
    page.click(f"{row} [data-testid=mark-excused]")

    page.wait_for_selector(f"{row}[data-status=excused]")
    excused = api(web_stack, admin, "GET", f"sessions/{session_id}/attendees?status=excused").json()
    assert [a["person_id"] for a in excused["items"]] == [first["person_id"]]
    # The counts follow (the live counter event), and the row offers the other marks only.
    page.wait_for_selector("[data-testid=attendance-breakdown]:has-text('请假 1')")
    assert page.query_selector(f"{row} [data-testid=mark-excused]") is None
    assert page.is_visible(f"{row} [data-testid=mark-present]")

    # Someone who joined the video room after the start is marked late: shown late, with the time
    # of the mark as their check-in, and counted late.
    late_row = f"[data-testid=attendee-table] tr[data-person-id='{second['person_id']}']"
    page.wait_for_selector(f"{late_row}[data-status=invited]")
    assert page.text_content(f"{late_row} [data-testid=mark-late]") == "记为迟到"
    page.click(f"{late_row} [data-testid=mark-late]")

    page.wait_for_selector(f"{late_row}[data-status=late]")
    assert page.text_content(f"{late_row} td:nth-child(3)") == "迟到"
    assert page.text_content(f"{late_row} td:nth-child(4)") != ""
    late = api(web_stack, admin, "GET", f"sessions/{session_id}/attendees?status=late").json()
    assert [(a["person_id"], a["checked_in_at"] is not None) for a in late["items"]] == [(second["person_id"], True)]
    page.wait_for_selector("[data-testid=attendance-breakdown]:has-text('迟到 1')")
    assert page.query_selector(f"{late_row} [data-testid=mark-late]") is None
    assert page.get_attribute(f"{row}", "data-status") == "excused"


def test_a_coordinator_approves_a_phones_leave_request_and_the_phone_shows_it_excused(
    web_stack: WebStack, new_page: Any
) -> None:
    member = qibin_members(web_stack, 19)[18]  # never reached by another test's alert
    session_id = schedule(web_stack, "请假审批培训", home_of(web_stack, member))
    phone = new_page("phone")
    sign_in(phone, web_stack.url, member)
    phone.wait_for_selector("[data-testid=conn-state][data-state=open]", timeout=10_000)
    phone.click("[data-testid=tab-sessions]")
    item = f"[data-testid=session-list] [data-session-id='{session_id}']"
    phone.wait_for_selector(item, timeout=10_000)
    phone.click(f"{item} [data-testid=leave-open]")
    phone.fill(f"{item} [data-testid=leave-reason]", "家中有事")
    phone.click(f"{item} [data-testid=leave-submit]")
    phone.wait_for_selector(f"{item} [data-testid=leave-result][data-status=pending]")

    # The county's coordinator (over the requester, not the host) decides it on the dashboard.
    host = new_page("desktop")
    open_session(host, web_stack, QIBIN_COORDINATOR, session_id)
    person_id = web_stack.shell(
        f"from core.models import Person; print(Person.objects.get(user__username='{member}').pk)"
    )
    request = f"[data-testid=leave-table] tr[data-person-id='{person_id}']"
    host.wait_for_selector(f"{request}[data-status=pending]")
    assert host.text_content(f"{request} td:nth-child(3)") == "家中有事"
    host.click(f"{request} [data-testid=leave-approve]")
    host.wait_for_selector(f"{request}[data-status=approved]")
    assert host.query_selector(f"{request} [data-testid=leave-approve]") is None

    # The phone is told (session.leave_decided) and reads its sessions again: excused, and says so.
    result = phone.wait_for_selector(f"{item} [data-testid=leave-result][data-status=approved]", timeout=10_000)
    assert result.text_content() == "请假已批准，本次记为请假。"
    assert phone.get_attribute(f"{item} [data-testid=session-attendance]", "data-attendance") == "excused"
    mine = api(web_stack, token(web_stack, member), "GET", "me/sessions?limit=100").json()["items"]
    assert [(s["attendance"], s["leave"]) for s in mine if s["id"] == session_id] == [("excused", "approved")]
    screenshot(phone, "phone-leave-approved")
