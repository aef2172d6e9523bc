"""The /dashboard/ page itself (no browser): who gets it, and what it tells its script."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.conftest import QIBIN, QIXIAN, QIXIAN_TOWNSHIP

pytestmark = pytest.mark.django_db


def _config(response: Any) -> dict[str, Any]:
    html = response.content.decode()
    start = html.index('<script id="zq-config" type="application/json">') + len(
        '<script id="zq-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_a_coordinator_gets_the_dashboard_with_their_grants_and_what_they_may_do(make_person: Any) -> None:
    coordinator = make_person("county_coordinator", QIXIAN)
    client = Client()
    client.force_login(coordinator.user)

    response = client.get("/dashboard/")

    assert response.status_code == 200
    config = _config(response)
    assert [g["area_code"] for g in config["grants"]] == [QIXIAN]
    assert config["can"]["raise_alerts"] is True
    assert config["can"]["host_sessions"] is True
    assert config["host_units"] == [{"area_code": QIXIAN, "area_prefix": QIXIAN}]
    assert set(config["tiles"]) == {"url", "datum", "attribution"}


def test_a_station_head_gets_the_dashboard_but_may_not_raise_alerts(make_person: Any) -> None:
    head = make_person("station_head", QIBIN)
    client = Client()
    client.force_login(head.user)

    config = _config(client.get("/dashboard/"))

    assert config["can"]["view_people"] is True
    assert config["can"]["raise_alerts"] is False
    assert config["host_units"] == []


def test_the_page_knows_where_a_coordinator_manages_people_and_which_roles_they_may_grant(
    make_person: Any,
) -> None:
    coordinator = make_person("township_coordinator", QIXIAN_TOWNSHIP)
    client = Client()
    client.force_login(coordinator.user)

    config = _config(client.get("/dashboard/"))

    assert config["can"]["manage_people"] is True
    assert config["manage_units"] == [{"area_code": QIXIAN_TOWNSHIP, "area_prefix": QIXIAN_TOWNSHIP[:9]}]
    assert config["grantable"] == [
        {"area_prefix": QIXIAN_TOWNSHIP[:9], "roles": ["liaison", "station_head", "volunteer"]}
    ]


def test_a_station_head_may_neither_manage_people_nor_grant_roles(make_person: Any) -> None:
    head = make_person("station_head", QIBIN)
    client = Client()
    client.force_login(head.user)

    config = _config(client.get("/dashboard/"))

    assert config["can"]["manage_people"] is False
    assert config["manage_units"] == []
    assert config["grantable"] == []


@pytest.mark.parametrize(
    ("role", "area", "offered"),
    [
        ("city_admin", "410600", True),
        ("county_coordinator", QIXIAN, True),
        ("township_coordinator", QIXIAN_TOWNSHIP, False),
        ("station_head", QIXIAN, False),
    ],
)
def test_the_yearly_evaluation_is_offered_only_to_roles_over_a_whole_county(
    make_person: Any, role: str, area: str, offered: bool
) -> None:
    client = Client()
    client.force_login(make_person(role, area).user)

    response = client.get("/dashboard/")

    assert _config(response)["evaluation"] is offered
    html = response.content.decode()
    assert ('data-testid="nav-evaluation"' in html, 'data-view="evaluation"' in html) == (offered, offered)
    assert ("年度考核" in html) is offered


def test_a_volunteer_is_sent_to_the_phone_app(make_person: Any) -> None:
    volunteer = make_person("volunteer", QIBIN)
    client = Client()
    client.force_login(volunteer.user)

    response = client.get("/dashboard/")

    assert response.status_code == 302
    assert response["Location"] == "/m/"


def test_without_a_login_the_dashboard_asks_for_one() -> None:
    response = Client().get("/dashboard/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/dashboard/")


def test_the_page_is_chinese_by_default_and_english_on_request(make_person: Any) -> None:
    coordinator = make_person("county_coordinator", QIXIAN)
    client = Client()
    client.force_login(coordinator.user)

    chinese = client.get("/dashboard/").content.decode()
    client.cookies["django_language"] = "en"
    english = client.get("/dashboard/").content.decode()

    assert 'lang="zh-hans"' in chinese
    assert "覆盖地图" in chinese
    assert 'lang="en"' in english
    assert "Coverage map" in english
