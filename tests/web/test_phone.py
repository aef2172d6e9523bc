"""The phone app (/m/) in Chromium: duty and position sharing, a ringing alert and its response
buttons, check-in to a training, and the alert screen in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.browser import wait_until
from tests.web.conftest import WebStack, screenshot, sign_in
from tests.web.phone_support import (
    CITY_ADMIN,
    QIBIN_COORDINATOR,
    SHANGYU,
    api,
    checked_in,
    eventually,
    go_on_duty,
    located,
    on_duty,
    point_at,
    qibin_members,
    raise_alert,
    token,
)


@pytest.fixture(scope="module")
def members(web_stack: WebStack) -> list[str]:
    return qibin_members(web_stack, 4)


def _phone(new_page: Any, at: tuple[float, float], language: str = "zh-hans") -> Any:
    return new_page(
        "phone",
        language,
        geolocation={"latitude": at[0], "longitude": at[1], "accuracy": 12},
        permissions=["geolocation", "notifications"],
    )


NOTIFICATIONS = """async () => {
  const reg = await navigator.serviceWorker.getRegistration("/m/");
  return (await reg.getNotifications()).map((n) => [n.title, n.tag]);
}"""


def test_going_on_duty_shares_the_phones_position_and_going_off_duty_withdraws_it(
    web_stack: WebStack, new_page: Any, members: list[str]
) -> None:
    here = point_at(SHANGYU, metres=2000, bearing=0)
    page = _phone(new_page, here)
    sign_in(page, web_stack.url, members[0])
    bearer = token(web_stack, members[0])

    go_on_duty(page)

    fix = eventually(lambda: located(web_stack, bearer), page=page)
    assert (round(fix["lat"], 6), round(fix["lon"], 6)) == (round(here[0], 6), round(here[1], 6))
    assert fix["accuracy_m"] == 12
    page.wait_for_selector("[data-testid=duty-status]:has-text('位置')")
    # Moving 300 m is worth a new fix (at most one per 5 s while moving; otherwise one per 30 s).
    moved = point_at(here, metres=300, bearing=90)
    page.context.set_geolocation({"latitude": moved[0], "longitude": moved[1], "accuracy": 8})
    fix = eventually(lambda: (f := located(web_stack, bearer)) and f["accuracy_m"] == 8 and f, page=page, attempts=60)
    assert (round(fix["lat"], 6), round(fix["lon"], 6)) == (round(moved[0], 6), round(moved[1], 6))

    page.click("[data-testid=duty-toggle]")

    page.wait_for_selector("[data-testid=duty-toggle][aria-pressed=false]")
    eventually(lambda: located(web_stack, bearer) is None, page=page)

    page.click("[data-testid=logout]")
    page.wait_for_url("**/login/")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('zq.'))") == []


@pytest.mark.parametrize(("language", "member"), [("zh-hans", 1), ("en", 2)])
def test_an_alert_near_the_phone_rings_opens_full_screen_and_takes_the_responses_in_order(
    web_stack: WebStack, new_page: Any, members: list[str], language: str, member: int
) -> None:
    scene = point_at(SHANGYU, metres=900, bearing=180 + member * 40)
    page = _phone(new_page, point_at(scene, metres=320, bearing=0), language)
    sign_in(page, web_stack.url, members[member])
    page.wait_for_selector("[data-testid=conn-state][data-state=open]")
    with on_duty(web_stack, members[member], phone=page):
        wait_until(page, "navigator.serviceWorker.controller !== null")  # notifications go through it
        coordinator = token(web_stack, QIBIN_COORDINATOR)

        alert_id = raise_alert(web_stack, coordinator, at=scene, title=f"老人摔倒 {language}")

        screen = page.wait_for_selector(f"[data-testid=alert-screen][data-alert-id='{alert_id}'][data-status=active]")
        assert page.evaluate("zqPhone.ringLog") == [alert_id]
        # The notification is shown through the service worker, a moment after the screen.
        shown = eventually(
            lambda: page.evaluate(NOTIFICATIONS), page=page, why=lambda: page.evaluate("zqPhone.notifyLog")
        )
        assert shown == [["新警情" if language == "zh-hans" else "New alert", f"alert-{alert_id}"]]
        assert page.evaluate("zqPhone.notifyLog") == [[alert_id, "shown"]]
        assert screen.query_selector("[data-testid=alert-title]").text_content() == f"老人摔倒 {language}"
        distance = screen.query_selector("[data-testid=alert-distance]").text_content()
        assert (
            ("320 米" in distance and "南" in distance) if language == "zh-hans" else "320 m to the south" in distance
        )
        enabled = page.eval_on_selector_all("[data-action]:not([disabled])", "bs => bs.map(b => b.dataset.action)")
        assert enabled == ["accepted", "declined"]
        page.click("[data-testid=navigate]")
        assert page.get_attribute("[data-testid=nav-amap]", "href").startswith("https://uri.amap.com/marker?position=")
        assert "coord_type=bd09ll" in page.get_attribute("[data-testid=nav-baidu]", "href")
        assert page.get_attribute("[data-testid=nav-geo]", "href").startswith(f"geo:{scene[0]:.6f},{scene[1]:.6f}")
        page.click("[data-testid=navigate]")
        screenshot(page, f"phone-alert-{language}")

        # The accept is on its way (held here) when the coordinator edits the alert: the screen is drawn
        # again with the new text, the menu the reader opened stays open, and no button comes back on
        # for a second tap.
        held: list[Any] = []
        page.route(f"**/api/v1/alerts/{alert_id}/responses", lambda route: held.append(route))
        page.click("[data-testid=navigate]")
        page.click("[data-action=accepted]")
        eventually(lambda: held, page=page)
        edited = api(web_stack, coordinator, "PATCH", f"alerts/{alert_id}", {"description": "已有两人赶往现场"})
        assert edited.status_code == 200, edited.text
        description = "() => document.querySelector('[data-testid=alert-description]').textContent"
        wait_until(page, f"{description} === '已有两人赶往现场'")
        assert page.eval_on_selector_all("[data-action]:not([disabled])", "bs => bs.length") == 0
        assert page.is_visible("[data-testid=nav-menu]")
        held[0].continue_()
        page.unroute(f"**/api/v1/alerts/{alert_id}/responses")

        page.wait_for_selector("[data-testid=alert-my-state][data-state=accepted]")
        enabled = page.eval_on_selector_all("[data-action]:not([disabled])", "bs => bs.map(b => b.dataset.action)")
        assert enabled == ["declined", "en_route", "on_scene"]
        counts = api(web_stack, coordinator, "GET", f"alerts/{alert_id}").json()["responses"]
        assert counts["accepted"] == 1

        page.click("[data-action=en_route]")
        page.wait_for_selector("[data-testid=alert-my-state][data-state=en_route]")
        api(web_stack, coordinator, "POST", f"alerts/{alert_id}/cancel", {"reason": "已处置"})

        page.wait_for_selector(f"[data-testid=alert-screen][data-alert-id='{alert_id}'][data-status=cancelled]")
        assert page.is_visible("[data-testid=alert-cancelled]")
        assert "已处置" in page.text_content("[data-testid=alert-cancelled]")
        assert page.eval_on_selector_all("[data-action]:not([disabled])", "bs => bs.length") == 0
        assert page.eval_on_selector_all("[data-testid=alert-list] [data-alert-id]", "ns => ns.length") == 1
        assert page.evaluate("zqPhone.ringLog") == [alert_id]
        screenshot(page, f"phone-alert-cancelled-{language}")
        page.click("[data-testid=alert-close]")
        page.wait_for_selector(f"[data-testid=alert-list] [data-alert-id='{alert_id}'][data-status=cancelled]")
        screenshot(page, f"phone-home-{language}")


def test_a_phone_is_invited_live_joins_checks_in_with_the_hosts_code_and_asks_leave_for_another(
    web_stack: WebStack, new_page: Any, members: list[str]
) -> None:
    page = _phone(new_page, SHANGYU)
    sign_in(page, web_stack.url, members[3])
    page.wait_for_selector("[data-testid=conn-state][data-state=open]")
    page.click("[data-testid=tab-sessions]")
    host = token(web_stack, CITY_ADMIN)
    home = web_stack.shell(
        f"from core.models import Person; print(Person.objects.get(user__username='{members[3]}').home_area_id)"
    )

    def schedule(title: str, *, in_minutes: int, mode: str) -> int:
        start = datetime.now(UTC) + timedelta(minutes=in_minutes)
        body = {"kind": "training", "title": title, "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat(), "mode": mode, "area_codes": [home],
                "roles": ["volunteer"]}  # fmt: skip
        created = api(web_stack, host, "POST", "sessions", body)
        assert created.status_code == 201, created.text
        return int(created.json()["id"])

    now_id = schedule("防汛救援培训（手机）", in_minutes=2, mode="both")
    later_id = schedule("季度例会（手机）", in_minutes=3 * 24 * 60, mode="in_person")

    item = page.wait_for_selector(f"[data-testid=session-list] [data-session-id='{now_id}']")
    assert "防汛救援培训（手机）" in (item.text_content() or "")
    page.wait_for_selector(f"[data-session-id='{later_id}']")
    join = page.wait_for_selector(f"[data-session-id='{now_id}'] [data-testid=session-join]")
    # The member's own room: their county's (the session is relayed there), not the city host's.
    rooms = {v["area_code"]: v["join_url"] for v in api(web_stack, host, "GET", f"sessions/{now_id}").json()["venues"]}
    assert sorted(rooms) == ["410600", home[:6]]
    assert join.get_attribute("href") == rooms[home[:6]]
    code = api(web_stack, host, "GET", f"sessions/{now_id}/checkin-code").json()["code"]
    wrong = "000000" if code != "000000" else "111111"
    page.fill(f"[data-session-id='{now_id}'] [data-testid=checkin-code]", wrong)
    page.click(f"[data-session-id='{now_id}'] [data-testid=checkin-submit]")
    page.wait_for_selector(f"[data-session-id='{now_id}'] [data-testid=checkin-error]:visible")

    # The list is read again (an invitation arriving) while the code is half typed: the caret stays put.
    field = f"[data-session-id='{now_id}'] [data-testid=checkin-code]"
    page.click(field)
    page.keyboard.press("Control+A")
    page.keyboard.type(code[:3])
    page.eval_on_selector(field, "node => { node.dataset.typedBefore = 'yes'; }")
    page.evaluate("async () => { await ZQP.sessions.load(); await ZQP.sessions.load(); }")
    page.wait_for_selector(f"{field}:not([data-typed-before])")
    page.keyboard.type(code[3:])
    assert page.eval_on_selector(field, "node => node.value") == code

    result = checked_in(page, now_id, code)
    assert result.get_attribute("data-status") == "present"
    assert api(web_stack, host, "GET", f"sessions/{now_id}/attendance").json()["present"] == 1

    page.click(f"[data-session-id='{later_id}'] [data-testid=leave-open]")
    page.fill(f"[data-session-id='{later_id}'] [data-testid=leave-reason]", "值班冲突")
    # The request is on its way (held here) when the list is read again: the button stays off.
    held: list[Any] = []
    page.route(f"**/api/v1/sessions/{later_id}/leave", lambda route: held.append(route))
    page.click(f"[data-session-id='{later_id}'] [data-testid=leave-submit]")
    eventually(lambda: held, page=page)
    page.eval_on_selector(f"[data-session-id='{later_id}']", "node => { node.dataset.drawnBefore = 'yes'; }")
    page.evaluate("() => ZQP.sessions.load()")
    page.wait_for_selector(f"[data-session-id='{later_id}']:not([data-drawn-before])")
    assert page.is_disabled(f"[data-session-id='{later_id}'] [data-testid=leave-submit]")
    held[0].continue_()
    page.unroute(f"**/api/v1/sessions/{later_id}/leave")

    page.wait_for_selector(f"[data-session-id='{later_id}'] [data-testid=leave-result][data-status=pending]")
    leaves = api(web_stack, host, "GET", f"sessions/{later_id}/leave").json()["items"]
    assert [(x["reason"], x["status"]) for x in leaves] == [("值班冲突", "pending")]
    screenshot(page, "phone-sessions-zh-hans")


@pytest.fixture(scope="module")
def shared_phone_members(web_stack: WebStack) -> list[str]:
    return qibin_members(web_stack, 16)[12:16]


def test_the_next_person_on_a_shared_phone_never_uses_the_previous_ones_socket_token(
    web_stack: WebStack, new_page: Any, shared_phone_members: list[str]
) -> None:
    first, second = shared_phone_members[:2]
    page = _phone(new_page, SHANGYU)
    sign_in(page, web_stack.url, first)
    page.wait_for_selector("[data-testid=conn-state][data-state=open]")
    go_on_duty(page)
    eventually(lambda: located(web_stack, token(web_stack, first)), page=page)

    # Signing out takes the person off duty: a signed-out phone rings for nobody.
    page.click("[data-testid=logout]")
    page.wait_for_url("**/login/")
    assert located(web_stack, token(web_stack, first)) is None
    duty = web_stack.shell(
        f"from core.models import DutyStatus; print(DutyStatus.objects.get(person__user__username='{first}').on_duty)"
    )
    assert duty == "False"

    # Next time the first person's session ends without a sign-out (it expires, or the cookies are cleared).
    sign_in(page, web_stack.url, first)
    page.wait_for_selector("[data-testid=conn-state][data-state=open]")
    page.context.clear_cookies()

    sign_in(page, web_stack.url, second)
    page.wait_for_selector("[data-testid=conn-state][data-state=open]")

    kept = page.evaluate("JSON.parse(localStorage.getItem('zq.token'))")
    me = requests.get(f"{web_stack.url}/api/v1/me", headers={"Authorization": f"Bearer {kept['token']}"}, timeout=10)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == second


def test_a_socket_that_stops_answering_is_replaced_and_the_alert_sent_meanwhile_rings(
    web_stack: WebStack, new_page: Any, shared_phone_members: list[str]
) -> None:
    member = shared_phone_members[2]
    scene = point_at(SHANGYU, metres=2500, bearing=300)
    page = _phone(new_page, point_at(scene, metres=200, bearing=90))
    # The link dies without a close (a carrier's NAT forgets it): from then on, nothing passes
    # either way on that socket. Later sockets pass everything.
    sockets: list[Any] = []
    dead = {"on": False}

    def link(ws: Any) -> None:
        server = ws.connect_to_server()
        first = not sockets
        sockets.append(ws)
        ws.on_message(lambda message: None if first and dead["on"] else server.send(message))
        server.on_message(lambda message: None if first and dead["on"] else ws.send(message))

    page.route_web_socket("**/ws/v1/phone", link)
    page.clock.install()
    sign_in(page, web_stack.url, member)
    page.wait_for_selector("[data-testid=conn-state][data-state=open]")
    with on_duty(web_stack, member, phone=page):
        dead["on"] = True
        alert_id = raise_alert(web_stack, token(web_stack, QIBIN_COORDINATOR), at=scene, title="断线期间的警情")
        page.wait_for_timeout(500)
        assert page.evaluate("zqPhone.ringLog") == []  # nothing came through the dead link
        assert page.get_attribute("[data-testid=conn-state]", "data-state") == "open"  # and nothing noticed yet

        page.clock.fast_forward(25_000)  # the next ping goes out, and no pong comes back
        page.clock.fast_forward(10_000)
        # The reconnect's backoff (jittered, at most 0.5 s after a good welcome) and its hello: time is
        # moved on a second at a time until the alert rings (at most 40 times, 10 s of real time).
        screen = f"[data-testid=alert-screen][data-alert-id='{alert_id}'][data-status=active]"
        eventually(lambda: page.query_selector(screen) or page.clock.fast_forward(1_000), page=page, attempts=40)
        page.wait_for_selector("[data-testid=conn-state][data-state=open]")
        assert len(sockets) == 2
        assert page.evaluate("zqPhone.ringLog") == [alert_id]


def test_a_phone_that_lost_its_response_takes_the_servers_state_and_can_still_finish(
    web_stack: WebStack, new_page: Any, shared_phone_members: list[str]
) -> None:
    member = shared_phone_members[3]
    scene = point_at(SHANGYU, metres=1600, bearing=330)
    page = _phone(new_page, point_at(scene, metres=150, bearing=0))
    sign_in(page, web_stack.url, member)
    page.wait_for_selector("[data-testid=conn-state][data-state=open]")
    with on_duty(web_stack, member, phone=page) as bearer:
        alert_id = raise_alert(web_stack, token(web_stack, QIBIN_COORDINATOR), at=scene, title="另一部手机已到场")
        screen = f"[data-testid=alert-screen][data-alert-id='{alert_id}']"
        page.wait_for_selector(f"{screen}[data-status=active]")
        # The same person answered from another phone, all the way to the scene; this phone never heard.
        for state in ("accepted", "on_scene"):
            answered = api(web_stack, bearer, "POST", f"alerts/{alert_id}/responses", {"state": state})
            assert answered.status_code in (200, 201), answered.text

        page.click(f"{screen} [data-action=accepted]")

        page.wait_for_selector(f"{screen} [data-testid=alert-error]:visible")
        page.wait_for_selector(f"{screen} [data-testid=alert-my-state][data-state=on_scene]")
        enabled = page.eval_on_selector_all("[data-action]:not([disabled])", "bs => bs.map(b => b.dataset.action)")
        assert enabled == ["done"]
        page.click(f"{screen} [data-action=done]")
        page.wait_for_selector(f"{screen} [data-testid=alert-my-state][data-state=done]")
