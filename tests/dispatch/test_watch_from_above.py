"""An alert raised for the whole city, reaching the volunteers of 淇县 and 浚县: each county's coordinators
(and the township's) watch it: it is in their list, their board names only their own people while counting
everyone, and their people's answers reach their dashboards live; they do not direct it (no escalate,
update, cancel or close), and a county it did not reach never sees it."""

from __future__ import annotations

from typing import Any

import pytest

from dispatch.models import Alert, Delivery
from tests.conftest import QIBIN, QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN, XUNXIAN_TOWNSHIP

pytestmark = pytest.mark.django_db

CITY = "410600"


@pytest.fixture
def city_alert(make_person, login) -> dict[str, Any]:
    city = login(make_person("city_admin", CITY))
    qixian, xunxian = make_person("volunteer", QIXIAN_TOWNSHIP), make_person("volunteer", XUNXIAN_TOWNSHIP)
    made = city.post(
        "/api/v1/alerts",
        {"kind": "other", "title": "全市集结", "area_codes": [QIXIAN, XUNXIAN], "roles": ["volunteer"]},
    ).json()
    assert (made["area_code"], made["recipients"]) == (CITY, 2)  # raised for the city as a whole
    return {"id": made["id"], "city": city, "qixian": qixian, "xunxian": xunxian}


def _board(client, alert_id: int) -> Any:
    return client.get(f"/api/v1/alerts/{alert_id}/board")


@pytest.mark.parametrize(("role", "area"), [("county_coordinator", QIXIAN), ("township_coordinator", QIXIAN_TOWNSHIP)])
def test_a_coordinator_below_watches_their_own_people_answer_but_does_not_direct_it(
    city_alert, as_role, login, role, area
):
    client = as_role(role, area)
    login(city_alert["qixian"]).post(f"/api/v1/alerts/{city_alert['id']}/responses", {"state": "accepted"})
    login(city_alert["xunxian"]).post(f"/api/v1/alerts/{city_alert['id']}/responses", {"state": "declined"})

    listed = [a["id"] for a in client.get("/api/v1/alerts", status="active").json()["items"]]
    board = _board(client, city_alert["id"])

    assert city_alert["id"] in listed
    assert board.status_code == 200
    body = board.json()
    assert [(r["person_id"], r["state"]) for r in body["recipients"]] == [(city_alert["qixian"].pk, "accepted")]
    assert (body["recipients_total"], body["recipients_hidden"], body["manages"]) == (2, 1, False)
    assert (body["by_state"]["accepted"], body["by_state"]["declined"]) == (1, 1)
    for action, payload in (("cancel", {"reason": ""}), ("close", None), ("escalate", None)):
        assert client.post(f"/api/v1/alerts/{city_alert['id']}/{action}", payload).status_code == 404
    assert client.patch(f"/api/v1/alerts/{city_alert['id']}", {"title": "改"}).status_code == 404
    assert Alert.objects.get(pk=city_alert["id"]).status == "active"


def test_the_city_directs_it_and_a_county_it_did_not_reach_never_sees_it(city_alert, as_role):
    qibin = as_role("county_coordinator", QIBIN)

    assert _board(city_alert["city"], city_alert["id"]).json()["manages"] is True
    assert _board(qibin, city_alert["id"]).status_code == 404
    assert qibin.get(f"/api/v1/alerts/{city_alert['id']}").status_code == 404
    assert city_alert["id"] not in [a["id"] for a in qibin.get("/api/v1/alerts").json()["items"]]


def test_an_alert_located_in_another_county_stays_that_countys_to_watch(make_person, login, as_role):
    """Only alerts raised for an area above the coordinator's are watched from below (dispatch.selectors)."""
    xunxian_vol = make_person("volunteer", XUNXIAN_TOWNSHIP)
    city = login(make_person("city_admin", CITY))
    made = city.post(
        "/api/v1/alerts",
        {"kind": "other", "title": "浚县警情", "area_codes": [XUNXIAN_TOWNSHIP], "roles": ["volunteer"]},
    ).json()
    assert Delivery.objects.filter(alert_id=made["id"], person=xunxian_vol).exists()

    assert _board(as_role("county_coordinator", QIXIAN), made["id"]).status_code == 404
    assert _board(as_role("county_coordinator", XUNXIAN), made["id"]).json()["manages"] is True


def test_an_answer_is_announced_to_the_dashboards_of_the_responders_own_township(
    city_alert, login, monkeypatch, django_capture_on_commit_callbacks
):
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr("realtime.transport.announce", lambda **kw: sent.append(kw))

    with django_capture_on_commit_callbacks(execute=True):
        login(city_alert["qixian"]).post(f"/api/v1/alerts/{city_alert['id']}/responses", {"state": "accepted"})

    boards = [(kw["area_code"], kw["body"]) for kw in sent if kw["body"]["type"] == "alert.board"]
    assert [(area, body["person_id"], body["state"]) for area, body in boards] == [
        (CITY, None, None),  # the progress, to the city's dashboards
        (QIXIAN_TOWNSHIP, city_alert["qixian"].pk, "accepted"),  # who answered: their township, county and city
    ]
