"""The dashboard's People writes and the liaison import, in a browser: a county coordinator registers,
finds and edits a member; a spreadsheet's dry run names its bad row and the import takes the good one;
a township coordinator is offered only what their grants allow, and sees the API's refusal inline.
"""

from __future__ import annotations

import io
import random
import uuid
from typing import Any
from urllib.parse import quote

from django.utils import translation

from core.identity import mask_phone
from liaisons.importing import _MESSAGES
from tests.browser import wait_until
from tests.factories import valid_id_number, valid_phone
from tests.web.conftest import WebStack, screenshot, sign_in
from tests.web.test_dashboard import QIXIAN, api_as, new_station_head

GAOCUN = "410622101"  # 淇县 高村镇
JINSHAN_COORDINATOR = "township_410611001"  # 淇滨区 金山街道's coordinator
JINSHAN = "410611001"


def _zh(message: Any) -> str:
    with translation.override("zh-hans"):
        return str(message)


def _unique() -> tuple[str, int]:
    """A tag for names and a number for phones and ID numbers no other test (or run) uses."""
    return uuid.uuid4().hex[:6], random.randrange(3_000_000, 90_000_000)


def _people(page: Any, base_url: str, username: str) -> None:
    sign_in(page, base_url, username)
    page.click("[data-testid=nav-people]")
    page.wait_for_selector("[data-testid=people-table] tbody tr")


def _search(page: Any, text: str) -> None:
    page.fill("[data-testid=people-q]", text)
    page.click("[data-testid=people-search] button[type=submit]")


def _find(base_url: str, name: str) -> list[dict[str, Any]]:
    return list(api_as(base_url, "admin", "GET", f"people?q={quote(name)}")["items"])


def test_a_county_coordinator_registers_a_member_finds_them_and_renames_them(
    web_stack: WebStack, new_page: Any
) -> None:
    tag, n = _unique()
    name, phone = f"测试{tag}", valid_phone(n)
    page = new_page("desktop")
    _people(page, web_stack.url, f"county_{QIXIAN}")

    # A township of the county, a volunteer; a second click while the first is on its way sends nothing more.
    page.click("[data-testid=person-new]")
    page.fill("[data-testid=person-name]", name)
    page.fill("[data-testid=person-phone]", phone)
    page.select_option("[data-testid=person-area]", GAOCUN)
    assert page.is_checked("[data-testid=person-role-volunteer]")
    teams = api_as(web_stack.url, "admin", "GET", f"teams?area={GAOCUN}")["items"]
    wait_until(page, "n => document.querySelectorAll('[data-testid=person-team] option').length === n", len(teams) + 1)
    page.select_option("[data-testid=person-team]", str(teams[-1]["id"]))
    posts: list[str] = []
    page.on(
        "request", lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/api/v1/people") else None
    )
    held: list[Any] = []
    page.route("**/api/v1/people", lambda route: held.append(route))
    page.click("[data-testid=person-create]")
    wait_until(page, "() => document.querySelector('[data-testid=person-create]').disabled")
    page.dispatch_event("[data-testid=person-new-form]", "submit")
    page.wait_for_timeout(300)
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/api/v1/people")
    page.wait_for_selector(f"[data-testid=person-name-heading]:text-is('{name}')")
    assert len(posts) == 1

    found = _find(web_stack.url, name)
    assert [(p["phone"], p["area_code"], p["team_id"], [r["role"] for r in p["roles"]]) for p in found] == [
        (phone, GAOCUN, teams[-1]["id"], ["volunteer"])
    ]
    person_id = found[0]["id"]
    # In the search; a county coordinator's role sees the phone.
    _search(page, tag)
    row = f"[data-testid=people-table] tr[data-person-id='{person_id}']"
    page.wait_for_selector(row)
    assert page.locator("[data-testid=people-table] tbody tr").count() == 1
    assert page.text_content(f"{row} [data-field=phone]") == phone

    # Edit: the phone this role may see is filled in; only the name changes.
    page.click("[data-testid=person-edit]")
    assert page.input_value("[data-testid=person-edit-form] [data-testid=person-phone]") == phone
    page.fill("[data-testid=person-edit-form] [data-testid=person-name]", f"改名{tag}")
    page.click("[data-testid=person-save]")
    page.wait_for_selector(f"[data-testid=person-name-heading]:text-is('改名{tag}')")
    page.wait_for_selector(f"{row} a:text-is('改名{tag}')")
    screenshot(page, "dashboard-person-edited")

    # Grant a role the county coordinator may give, over the member's township.
    offered = page.eval_on_selector_all("[data-testid=grant-role] option", "os => os.map(o => o.value)")
    # volunteer they hold already; liaison comes with a sector ("Make a liaison")
    assert offered == ["township_coordinator", "station_head"]
    page.select_option("[data-testid=grant-role]", "station_head")
    page.click("[data-testid=grant-submit]")
    page.wait_for_selector("[data-testid=person-fields] [data-field=roles]:has-text('工作站站长')")
    granted = api_as(web_stack.url, "admin", "GET", f"people/{person_id}")["roles"]
    assert sorted((r["role"], r["area_code"]) for r in granted) == [("station_head", GAOCUN), ("volunteer", GAOCUN)]
    again = api_as(web_stack.url, "admin", "GET", f"people/{person_id}")
    assert (again["name"], again["phone"], again["area_code"], again["is_active"]) == (
        f"改名{tag}",
        phone,
        GAOCUN,
        True,
    )


def test_a_county_coordinator_registers_a_liaison_with_their_sector_and_makes_a_volunteer_one(
    web_stack: WebStack, new_page: Any
) -> None:
    tag, n = _unique()
    name, phone = f"骑手{tag}", valid_phone(n)
    county = f"county_{QIXIAN}"
    page = new_page("desktop")
    _people(page, web_stack.url, county)

    # New member, a liaison: the sector (and an employer of it in the home county) are asked for there.
    page.click("[data-testid=person-new]")
    assert page.is_hidden("[data-testid=person-new-form] [data-testid=liaison-fields]")
    page.fill("[data-testid=person-name]", name)
    page.fill("[data-testid=person-phone]", phone)
    page.select_option("[data-testid=person-area]", GAOCUN)
    page.uncheck("[data-testid=person-role-volunteer]")
    page.check("[data-testid=person-role-liaison]")
    assert page.is_visible("[data-testid=person-new-form] [data-testid=liaison-fields]")
    page.select_option("[data-testid=person-new-form] [data-testid=liaison-sector]", "food_delivery")
    employers = api_as(web_stack.url, county, "GET", f"liaisons/employers?sector=food_delivery&area={QIXIAN}&limit=200")
    assert employers["count"] > 0
    options = "[data-testid=person-new-form] [data-testid=liaison-employer] option"
    wait_until(page, "([s, n]) => document.querySelectorAll(s).length === n", [options, employers["count"] + 1])
    employer = employers["items"][-1]
    page.select_option("[data-testid=person-new-form] [data-testid=liaison-employer]", str(employer["id"]))
    page.click("[data-testid=person-create]")
    page.wait_for_selector(f"[data-testid=person-name-heading]:text-is('{name}')")

    found = _find(web_stack.url, name)
    assert [(p["phone"], p["area_code"], [r["role"] for r in p["roles"]]) for p in found] == [
        (phone, GAOCUN, ["liaison"])
    ]
    rider = found[0]["id"]
    listed = api_as(web_stack.url, "admin", "GET", f"liaisons?area={GAOCUN}&sector=food_delivery&limit=200")["items"]
    assert [(i["sector"], i["employer_id"]) for i in listed if i["person_id"] == rider] == [
        ("food_delivery", employer["id"])
    ]
    # A liaison already: no "Make a liaison" for them.
    page.wait_for_selector(f"[data-testid=person-fields][data-person-id='{rider}']")
    assert page.locator("[data-testid=liaison-form]").count() == 0

    # A volunteer becomes a liaison from their detail; the grant form does not offer the bare role.
    nurse = api_as(
        web_stack.url,
        county,
        "POST",
        "people",
        {"name": f"护士{tag}", "phone": valid_phone(n + 1), "home_area_code": GAOCUN, "roles": ["volunteer"]},
    )
    page.goto(f"{web_stack.url}/dashboard/#people/{nurse['id']}")
    page.wait_for_selector("[data-testid=liaison-form]")
    offered = page.eval_on_selector_all("[data-testid=grant-role] option", "os => os.map(o => o.value)")
    assert "liaison" not in offered
    page.select_option("[data-testid=liaison-form] [data-testid=liaison-sector]", "hospital")
    page.click("[data-testid=liaison-submit]")
    page.wait_for_selector("[data-testid=person-roles] li[data-role=liaison]")
    page.wait_for_selector("[data-testid=liaison-form]", state="detached")
    screenshot(page, "dashboard-person-made-liaison")

    roles = api_as(web_stack.url, "admin", "GET", f"people/{nurse['id']}")["roles"]
    assert sorted((r["role"], r["area_code"]) for r in roles) == [("liaison", GAOCUN), ("volunteer", GAOCUN)]
    listed = api_as(web_stack.url, "admin", "GET", f"liaisons?area={GAOCUN}&sector=hospital&limit=200")["items"]
    assert [(i["sector"], i["employer_id"]) for i in listed if i["person_id"] == nurse["id"]] == [("hospital", None)]


def _sheet(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "手机号", "身份证号", "行业", "单位", "所属乡镇/街道", "工作时段"])
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_spreadsheet_is_checked_row_by_row_and_its_good_row_imported(web_stack: WebStack, new_page: Any) -> None:
    tag, n = _unique()
    good = [f"联络{tag}", valid_phone(n), valid_id_number(n), "环卫", "淇县环卫一队", "高村镇", "05:00-11:00"]
    # 善堂镇 is in 浚县: outside 淇县's coordinator's jurisdiction.
    bad = [f"越界{tag}", valid_phone(n + 1), valid_id_number(n + 1), "环卫", "浚县环卫一队", "善堂镇", ""]
    page = new_page("desktop")
    sign_in(page, web_stack.url, f"county_{QIXIAN}")
    page.click("[data-testid=nav-imports]")
    page.wait_for_selector("[data-testid=import-columns] tr[data-key=township]")
    template = page.request.get(web_stack.url + page.get_attribute("[data-testid=import-template]", "href"))
    assert template.status == 200
    assert (
        template.body().decode("utf-8-sig").splitlines()[0] == "姓名,手机号,身份证号,行业,单位,所属乡镇/街道,工作时段"
    )

    page.set_input_files(
        "[data-testid=import-file]",
        files=[
            {
                "name": f"liaisons-{tag}.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": _sheet([good, bad]),
            }
        ],
    )
    page.click("[data-testid=import-check]")
    report = "[data-testid=import-report][data-state=checked]"
    page.wait_for_selector(report)

    assert [
        page.text_content(f"{report} [data-testid={k}]") for k in ("import-rows", "import-valid", "import-error-count")
    ] == [
        "2",
        "1",
        "1",
    ]
    problems = page.eval_on_selector_all(
        "[data-testid=import-errors] tbody tr",
        "rows => rows.map(r => [r.dataset.row, r.dataset.code, ...Array.from(r.cells).map(c => c.textContent)])",
    )
    assert problems == [["3", "unknown_township", "3", "所属乡镇/街道", _zh(_MESSAGES["unknown_township"])]]
    assert _find(web_stack.url, tag) == []  # a dry run writes nothing
    screenshot(page, "dashboard-import-checked")

    page.click("[data-testid=import-confirm]")
    done = "[data-testid=import-report][data-state=imported]"
    page.wait_for_selector(done)

    assert [page.text_content(f"{done} [data-testid={k}]") for k in ("import-created", "import-error-count")] == [
        "1",
        "1",
    ]
    imported = _find(web_stack.url, tag)
    assert [(p["name"], p["phone"], p["area_code"], [r["role"] for r in p["roles"]]) for p in imported] == [
        (good[0], good[1], GAOCUN, ["liaison"])
    ]
    liaisons = api_as(web_stack.url, "admin", "GET", f"liaisons?area={GAOCUN}&sector=sanitation&limit=200")["items"]
    assert [item["person_id"] for item in liaisons if item["person_id"] == imported[0]["id"]] == [imported[0]["id"]]


def test_a_township_coordinator_is_offered_only_what_they_may_do_and_sees_the_apis_refusal(
    web_stack: WebStack, new_page: Any
) -> None:
    page = new_page("desktop")
    _people(page, web_stack.url, JINSHAN_COORDINATOR)
    member = api_as(web_stack.url, "admin", "GET", f"people?area={JINSHAN}&role=volunteer&limit=1")["items"][0]

    # A member of their township: editable, but the phone their role may not see is not filled in.
    page.goto(f"{web_stack.url}/dashboard/#people/{member['id']}")
    page.wait_for_selector("[data-testid=role-grant-form]")
    offered = page.eval_on_selector_all("[data-testid=grant-role] option", "os => os.map(o => o.value)")
    assert offered == ["station_head"]  # volunteer they hold already; no coordinator roles; liaison has its own form
    areas = page.eval_on_selector_all("[data-testid=grant-area] option", "os => os.map(o => o.value)")
    assert set(areas) == {member["area_code"], JINSHAN}  # their township (and the member's village, if homed in one)
    page.click("[data-testid=person-edit]")
    phone = "[data-testid=person-edit-form] [data-testid=person-phone]"
    assert page.input_value(phone) == ""
    assert page.get_attribute(phone, "placeholder") == mask_phone(member["phone"])

    # New member: only their township; a phone someone already has is refused by the API, inline.
    page.click("[data-testid=person-new]")
    choices = page.eval_on_selector_all(
        "[data-testid=person-new-form] [data-testid=person-area] option", "os => os.map(o => o.value).filter(Boolean)"
    )
    assert choices == [JINSHAN]
    page.fill("[data-testid=person-new-form] [data-testid=person-name]", "重复号码")
    page.fill("[data-testid=person-new-form] [data-testid=person-phone]", member["phone"])
    page.select_option("[data-testid=person-new-form] [data-testid=person-area]", JINSHAN)
    teams = api_as(web_stack.url, JINSHAN_COORDINATOR, "GET", f"teams?area={JINSHAN}")["items"]
    wait_until(
        page,
        "n => document.querySelectorAll('[data-testid=person-new-form] [data-testid=person-team] option').length === n",
        len(teams) + 1,
    )
    page.click("[data-testid=person-create]")
    error = "[data-testid=person-new-form] [data-testid=person-form-error]:visible"
    page.wait_for_selector(error)
    with translation.override("zh-hans"):
        expected = translation.gettext("Someone is already registered with this phone number.")
    assert (page.get_attribute(error, "data-code"), page.text_content(error)) == ("duplicate_phone", expected)
    assert page.is_enabled("[data-testid=person-create]")
    screenshot(page, "dashboard-person-refused")


def test_a_station_head_who_may_only_view_people_gets_no_forms_and_no_import(
    web_stack: WebStack, new_page: Any
) -> None:
    tag, n = _unique()
    head = new_station_head(web_stack.url, JINSHAN_COORDINATOR, JINSHAN, tag=tag, phone=valid_phone(n))
    page = new_page("desktop")

    _people(page, web_stack.url, f"head{tag}")
    page.goto(f"{web_stack.url}/dashboard/#people/{head['id']}")
    page.wait_for_selector(f"[data-testid=person-fields][data-person-id='{head['id']}']")

    assert page.locator("[data-testid=nav-people]").count() == 1
    assert page.locator("[data-testid=nav-imports]").count() == 0
    assert (
        page.locator("[data-testid=person-new], [data-testid=person-edit], [data-testid=role-grant-form]").count() == 0
    )
    page.goto(f"{web_stack.url}/dashboard/#imports")
    page.wait_for_selector("[data-testid=nav-map][aria-current=page]")


def test_a_county_coordinator_takes_a_role_away_after_confirming_and_not_their_own(
    web_stack: WebStack, new_page: Any
) -> None:
    tag, number = _unique()
    deputy = api_as(
        web_stack.url,
        f"county_{QIXIAN}",
        "POST",
        "people",
        {"name": f"副手{tag}", "phone": valid_phone(number), "home_area_code": GAOCUN, "roles": ["volunteer"]},
    )
    api_as(
        web_stack.url,
        f"county_{QIXIAN}",
        "POST",
        f"people/{deputy['id']}/roles",
        {"role": "township_coordinator", "area_code": GAOCUN},
    )
    page = new_page("desktop")
    _people(page, web_stack.url, f"county_{QIXIAN}")
    page.goto(f"{web_stack.url}/dashboard/#people/{deputy['id']}")
    role = "[data-testid=person-roles] li[data-role=township_coordinator]"
    page.wait_for_selector(role)
    assert page.eval_on_selector_all("[data-testid=person-roles] li", "ls => ls.map(l => l.dataset.role)") == [
        "volunteer",
        "township_coordinator",
    ]

    # The first click only asks; the role goes on the second.
    page.click(f"{role} [data-testid=role-revoke]")
    assert page.get_attribute(f"{role} [data-testid=role-revoke]", "data-armed") == "true"
    assert {r["role"] for r in api_as(web_stack.url, "admin", "GET", f"people/{deputy['id']}")["roles"]} == {
        "volunteer",
        "township_coordinator",
    }
    page.click(f"{role} [data-testid=role-revoke]")
    page.wait_for_selector(role, state="detached")
    assert [r["role"] for r in api_as(web_stack.url, "admin", "GET", f"people/{deputy['id']}")["roles"]] == [
        "volunteer"
    ]
    page.wait_for_selector("[data-testid=person-fields] [data-field=roles]:has-text('义警')")
    screenshot(page, "dashboard-person-role-revoked")

    # Their own login's roles are listed with nothing to take away.
    me = api_as(web_stack.url, f"county_{QIXIAN}", "GET", "me")
    page.goto(f"{web_stack.url}/dashboard/#people/{me['person_id']}")
    page.wait_for_selector(f"[data-testid=person-fields][data-person-id='{me['person_id']}']")
    page.wait_for_selector("[data-testid=person-roles] li[data-role=county_coordinator]")
    assert page.locator("[data-testid=role-revoke]").count() == 0


def test_a_county_coordinator_ends_a_liaison_after_confirming_and_the_volunteer_stays(
    web_stack: WebStack, new_page: Any
) -> None:
    tag, number = _unique()
    county = f"county_{QIXIAN}"
    rider = api_as(
        web_stack.url,
        county,
        "POST",
        "liaisons",
        {
            "person": {
                "name": f"转行{tag}",
                "phone": valid_phone(number),
                "home_area_code": GAOCUN,
                "roles": ["volunteer"],
            },
            "sector": "food_delivery",
        },
    )
    page = new_page("desktop")
    _people(page, web_stack.url, county)
    page.goto(f"{web_stack.url}/dashboard/#people/{rider['person_id']}")
    liaison = "[data-testid=person-roles] li[data-role=liaison]"
    page.wait_for_selector(f"{liaison} [data-testid=liaison-end]")
    # The bare role has no "Take away"; a liaison is no "Make a liaison" either.
    assert page.locator(f"{liaison} [data-testid=role-revoke]").count() == 0
    assert page.locator("[data-testid=liaison-form]").count() == 0

    # The first click only asks; the liaison ends on the second.
    page.click(f"{liaison} [data-testid=liaison-end]")
    assert page.get_attribute(f"{liaison} [data-testid=liaison-end]", "data-armed") == "true"
    held = api_as(web_stack.url, "admin", "GET", f"people/{rider['person_id']}")["roles"]
    assert sorted(r["role"] for r in held) == ["liaison", "volunteer"]
    page.click(f"{liaison} [data-testid=liaison-end]")
    page.wait_for_selector(liaison, state="detached")
    page.wait_for_selector("[data-testid=liaison-form]")  # they may be made one again
    assert page.text_content("[data-testid=person-fields] [data-field=roles]") == "义警 · 高村镇"
    screenshot(page, "dashboard-person-liaison-ended")

    person = api_as(web_stack.url, "admin", "GET", f"people/{rider['person_id']}")
    assert [(r["role"], r["area_code"]) for r in person["roles"]] == [("volunteer", GAOCUN)]
    listed = api_as(web_stack.url, "admin", "GET", f"liaisons?area={GAOCUN}&limit=200")["items"]
    assert [i for i in listed if i["person_id"] == rider["person_id"]] == []
