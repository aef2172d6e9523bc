"""The dashboard's schedule form reaches the whole audience the API takes: areas, teams, sectors and roles, and
the receipt deadline of the units below; the API's refusals show next to the fields they name."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.browser import wait_until
from tests.web.conftest import WebStack, screenshot, sign_in
from tests.web.phone_support import QIBIN_COORDINATOR, api, token

COUNTY = "410611"  # 淇滨区, the coordinator's county
SECTOR = "hospital"
BEIJING = ZoneInfo("Asia/Shanghai")
FORM = "[data-testid=session-form]"


def city_input(at: datetime) -> str:
    """A datetime-local input's value for `at` in Beijing time (the page's zone)."""
    return at.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")


def open_form(page: Any, stack: WebStack, teams: int) -> None:
    sign_in(page, stack.url, QIBIN_COORDINATOR)
    page.click("[data-testid=nav-sessions]")
    page.click("[data-testid=session-new]")
    page.wait_for_selector(FORM)
    wait_until(page, "n => document.querySelectorAll('[data-testid=session-teams] option').length === n", teams)


def county_teams(stack: WebStack) -> list[dict[str, Any]]:
    answer = api(stack, token(stack, QIBIN_COORDINATOR), "GET", f"teams?area={COUNTY}&limit=200")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def sessions_titled(stack: WebStack, title: str) -> str:
    return stack.shell(f"from training.models import Session; print(Session.objects.filter(title='{title}').count())")


def test_a_county_coordinator_schedules_a_session_for_one_team_and_one_sector(
    web_stack: WebStack, new_page: Any
) -> None:
    teams = county_teams(web_stack)
    team = teams[-1]
    assert team["area_code"].startswith(COUNTY)
    # Who the API should invite, counted here from the people themselves: the team's active members and the
    # county's active hospital liaisons; never the host, never anyone homed in another county.
    expected = web_stack.shell(
        "from django.db.models import Q; from core.models import Person;"
        f"ids = Person.objects.filter(is_active=True, home_area__code__startswith='{COUNTY}')"
        f".filter(Q(team_id={team['id']}) | Q(liaison__sector__code='{SECTOR}'))"
        f".exclude(user__username='{QIBIN_COORDINATOR}').values_list('id', flat=True).distinct();"
        "print(','.join(map(str, sorted(ids))))"
    )
    expected_ids = [int(i) for i in expected.split(",")]
    elsewhere = web_stack.shell(
        "from liaisons.models import Liaison;"
        f"print(Liaison.objects.filter(sector__code='{SECTOR}', person__is_active=True)"
        f".exclude(person__home_area__code__startswith='{COUNTY}').count())"
    )
    assert int(elsewhere) > 0  # hospital liaisons of other counties exist, and must not be invited
    start = (datetime.now(BEIJING) + timedelta(hours=3)).replace(second=0, microsecond=0)
    deadline = start - timedelta(hours=1)

    page = new_page("desktop")
    open_form(page, web_stack, len(teams))
    assert page.input_value(f"{FORM} [name=host_area_code]") == COUNTY
    page.fill(f"{FORM} [name=title]", "医护联动培训")
    page.fill(f"{FORM} [name=start]", city_input(start))
    page.fill(f"{FORM} [name=end]", city_input(start + timedelta(hours=1)))
    page.fill("[data-testid=session-relay-deadline]", city_input(deadline))
    page.select_option("[data-testid=session-teams]", str(team["id"]))
    page.check(f"[data-testid=session-sectors] input[value={SECTOR}]")
    # The audience in words: anyone in the county in the team or the sector.
    assert page.text_content("[data-testid=session-audience]") == (
        f"邀请对象：淇滨区范围内符合以下任一条件的人：{team['name']}、医院。"
    )
    screenshot(page, "dashboard-session-form-team-sector")
    page.click("[data-testid=session-create]")
    card = page.wait_for_selector("[data-testid=session-card][data-status=scheduled]", timeout=10_000)
    session_id = card.get_attribute("data-session-id")

    bearer = token(web_stack, QIBIN_COORDINATOR)
    session = api(web_stack, bearer, "GET", f"sessions/{session_id}").json()
    targets = [session[k] for k in ("host_area_code", "area_codes", "team_ids", "sectors", "roles")]
    assert targets == [COUNTY, [], [team["id"]], [SECTOR], []]
    assert datetime.fromisoformat(session["relay_deadline"]) == deadline
    assert session["invitees"] == len(expected_ids)
    page_of = api(web_stack, bearer, "GET", f"sessions/{session_id}/attendees?limit=200").json()
    assert page_of["count"] == len(expected_ids)
    invited = page_of["items"]
    assert sorted(a["person_id"] for a in invited) == expected_ids
    assert all(a["area_code"].startswith(COUNTY) for a in invited)
    assert all(a["team_id"] == team["id"] or a["sector"] == SECTOR for a in invited)
    assert team["id"] in {a["team_id"] for a in invited}
    assert SECTOR in {a["sector"] for a in invited}


def test_refused_inputs_show_next_to_their_fields_and_write_nothing(web_stack: WebStack, new_page: Any) -> None:
    title = "拒收检查培训"
    teams = county_teams(web_stack)
    outsider = web_stack.shell(
        "from core.models import Team;"
        f"print(Team.objects.exclude(area__code__startswith='{COUNTY}').order_by('id').values_list('id', flat=True)[0])"
    )
    page = new_page("desktop")
    open_form(page, web_stack, len(teams))
    page.fill(f"{FORM} [name=title]", title)

    # A team of another county (not offered, so put in by hand): the API's 404 names team_ids.
    page.evaluate(
        """id => document.querySelector("[data-testid=session-teams]")
             .append(Object.assign(document.createElement("option"), {value: id, text: "外县队伍", selected: true}))""",
        outsider,
    )
    page.click("[data-testid=session-create]")
    error = page.wait_for_selector("[data-testid=field-error][data-for=team_ids]")
    assert (error.get_attribute("data-code"), error.text_content()) == ("unknown_team", "未知队伍。")
    assert page.get_attribute("[data-testid=session-teams]", "aria-invalid") == "true"
    assert page.text_content("[data-testid=session-error]") == "未知队伍。"
    assert sessions_titled(web_stack, title) == "0"

    # A sector the API does not know: the sectors' group is marked as a whole.
    page.evaluate(
        """id => { document.querySelector(`[data-testid=session-teams] option[value="${id}"]`).remove();
          const box = Object.assign(document.createElement("input"),
            {type: "checkbox", name: "sectors", value: "astronauts", checked: true});
          document.querySelector("[data-testid=session-sectors]").append(box); }""",
        outsider,
    )
    page.click("[data-testid=session-create]")
    page.wait_for_selector("[data-testid=field-error][data-for=sectors][data-code=unknown_sector]")
    assert page.query_selector("[data-testid=field-error][data-for=team_ids]") is None
    assert page.get_attribute("[data-testid=session-sectors]", "aria-invalid") == "true"
    assert page.text_content("[data-testid=field-error][data-for=sectors]") == "未知行业。"
    assert sessions_titled(web_stack, title) == "0"

    # A receipt deadline after the start, chosen in the form as it is.
    page.evaluate("document.querySelector('[data-testid=session-sectors] input[value=astronauts]').remove()")
    start = datetime.fromisoformat(page.input_value(f"{FORM} [name=start]"))
    page.fill("[data-testid=session-relay-deadline]", (start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
    page.click("[data-testid=session-create]")
    error = page.wait_for_selector("[data-testid=field-error][data-for=relay_deadline]")
    assert (error.get_attribute("data-code"), error.text_content()) == (
        "bad_relay_deadline",
        "回执截止时间必须在现在与开始时间之间。",
    )
    assert page.get_attribute("[data-testid=session-relay-deadline]", "aria-invalid") == "true"
    assert page.query_selector("[data-testid=field-error][data-for=sectors]") is None
    screenshot(page, "dashboard-session-form-refused")
    assert sessions_titled(web_stack, title) == "0"
