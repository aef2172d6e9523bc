from __future__ import annotations

import pytest

from core.models import AuditEntry, Team
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN, XUNXIAN_TOWNSHIP
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_a_county_coordinator_sees_their_county_subtree_and_its_ancestors(as_role):
    body = as_role("county_coordinator", QIXIAN).get("/api/v1/areas").json()

    codes = {item["code"] for item in body["items"]}
    assert codes == {"410600", QIXIAN} | {c for c in codes if c.startswith(QIXIAN)}
    assert len(codes) == 11
    assert not any(c.startswith(XUNXIAN) for c in codes)


def test_an_area_detail_carries_the_boundary_and_children(as_role):
    body = as_role("county_coordinator", QIXIAN).get(f"/api/v1/areas/{QIXIAN}").json()

    assert body["name"] == "淇县"
    assert body["boundary"]["type"] == "Polygon"
    assert len(body["children"]) == 9
    assert {c["level"] for c in body["children"]} == {"township"}


def test_another_countys_area_is_404(as_role):
    assert as_role("county_coordinator", QIXIAN).get(f"/api/v1/areas/{XUNXIAN}").status_code == 404


def test_a_volunteer_sees_only_their_own_branch_of_the_tree(as_role):
    body = as_role("volunteer", QIXIAN_TOWNSHIP).get("/api/v1/areas").json()

    assert [item["code"] for item in body["items"]] == ["410600", QIXIAN, QIXIAN_TOWNSHIP]


def test_teams_are_scoped_to_the_jurisdiction(as_role, hebi):
    ours = TeamFactory(area_id=QIXIAN_TOWNSHIP)
    TeamFactory(area_id=XUNXIAN_TOWNSHIP)

    body = as_role("county_coordinator", QIXIAN).get("/api/v1/teams").json()

    assert [item["id"] for item in body["items"]] == [ours.pk]


def test_a_coordinator_creates_a_team_led_by_one_of_their_people(as_role, make_person):
    leader = make_person("volunteer", QIXIAN_TOWNSHIP)
    client = as_role("county_coordinator", QIXIAN)

    response = client.post(
        "/api/v1/teams", {"name": "高村义警一队", "area_code": QIXIAN_TOWNSHIP, "leader_id": leader.pk}
    )

    assert response.status_code == 201
    team = Team.objects.get(pk=response.json()["id"])
    assert (team.leader_id, team.area_id) == (leader.pk, QIXIAN_TOWNSHIP)
    leader.refresh_from_db()
    assert leader.team_id == team.pk


def test_a_team_cannot_be_led_by_someone_from_another_county(as_role, make_person):
    outsider = make_person("volunteer", XUNXIAN_TOWNSHIP)
    client = as_role("county_coordinator", QIXIAN)

    response = client.post("/api/v1/teams", {"name": "x队", "area_code": QIXIAN_TOWNSHIP, "leader_id": outsider.pk})

    assert (response.status_code, response.json()["code"]) == (422, "unknown_person")
    assert not Team.objects.exists()


def test_a_township_coordinator_cannot_make_the_county_coordinator_living_there_lead_their_team(as_role, make_person):
    boss = make_person("county_coordinator", QIXIAN, home=QIXIAN_TOWNSHIP)
    client = as_role("township_coordinator", QIXIAN_TOWNSHIP)

    response = client.post("/api/v1/teams", {"name": "高村二队", "area_code": QIXIAN_TOWNSHIP, "leader_id": boss.pk})

    assert (response.status_code, response.json()["code"]) == (403, "person_outranks_actor")
    assert not Team.objects.exists()
    boss.refresh_from_db()
    assert boss.team_id is None


def test_a_duplicate_team_name_in_an_area_is_a_conflict(as_role, hebi):
    TeamFactory(name="一队", area_id=QIXIAN_TOWNSHIP)

    response = as_role("county_coordinator", QIXIAN).post(
        "/api/v1/teams", {"name": "一队", "area_code": QIXIAN_TOWNSHIP}
    )

    assert (response.status_code, response.json()["code"]) == (409, "duplicate_team")


def test_audit_entries_are_listed_only_within_the_jurisdiction(as_role, hebi):
    AuditEntry.objects.create(action="export", area_code=QIXIAN_TOWNSHIP, object_type="x")
    AuditEntry.objects.create(action="export", area_code=XUNXIAN_TOWNSHIP, object_type="x")
    client = as_role("county_coordinator", QIXIAN)

    body = client.get("/api/v1/audit", action="export").json()

    assert [item["area_code"] for item in body["items"]] == [QIXIAN_TOWNSHIP]


def test_the_audit_masks_an_actor_whose_login_name_is_their_phone(as_role, make_person, hebi):
    member = make_person("volunteer", QIXIAN_TOWNSHIP)
    member.user.username = member.phone  # members log in with their phone number unless given another name
    member.user.save(update_fields=["username"])
    AuditEntry.objects.create(
        action="alert_action", area_code=QIXIAN_TOWNSHIP, actor=member.user, actor_username=member.phone
    )
    # The person is gone; the name they used is still shaped like a phone.
    AuditEntry.objects.create(action="alert_action", area_code=QIXIAN_TOWNSHIP, actor_username="13900001111")
    AuditEntry.objects.create(action="alert_action", area_code=QIXIAN_TOWNSHIP, actor_username="county_410622")

    body = as_role("county_coordinator", QIXIAN).get("/api/v1/audit", action="alert_action").json()

    assert [item["actor"] for item in body["items"]] == [
        "county_410622",
        "139****1111",
        f"{member.phone[:3]}****{member.phone[-4:]}",
    ]
    assert member.phone not in str(body)


def test_a_township_coordinator_may_not_read_the_audit_log(as_role):
    assert as_role("township_coordinator", QIXIAN_TOWNSHIP).get("/api/v1/audit").status_code == 403


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"offset": -1}, {"limit": "many"}])
def test_bad_paging_parameters_are_422(as_role, params):
    response = as_role("county_coordinator", QIXIAN).get("/api/v1/people", **params)

    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")


def test_unknown_api_urls_get_a_json_404(anon):
    response = anon.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("params", [{"since": "2026-01-01T00:00:00"}, {"until": "2026-01-01T00:00:00"}])
def test_an_audit_filter_time_without_a_zone_is_a_422(as_role, params):
    response = as_role("county_coordinator", QIXIAN).get("/api/v1/audit", **params)

    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
    assert response.json()["details"][0]["type"] == "timezone_aware"


def test_an_audit_filter_time_with_a_zone_or_z_is_taken(as_role):
    AuditEntry.objects.create(action="export", area_code=QIXIAN_TOWNSHIP, object_type="x")
    client = as_role("county_coordinator", QIXIAN)

    assert client.get("/api/v1/audit", action="export", since="2000-01-01T00:00:00Z").json()["count"] == 1
    assert client.get("/api/v1/audit", action="export", since="2999-01-01T00:00:00+08:00").json()["count"] == 0


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("put", "/api/v1/me", "GET"),
        ("delete", "/api/v1/alerts", "GET, POST"),
        ("get", "/api/v1/auth/token", "DELETE, POST"),
    ],
)
def test_a_method_a_path_does_not_take_gets_a_json_405_with_allow(as_role, method, path, allow):
    client = as_role("county_coordinator", QIXIAN)

    response = client.send(method, path, raw="")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert sorted(response["Allow"].split(", ")) == allow.split(", ")
    assert response.json() == {
        "code": "method_not_allowed",
        "message": "此地址不支持该请求方法。",
        "details": {"allowed": response["Allow"].split(", ")},
    }
