from __future__ import annotations

import pytest

from core.models import AuditEntry, Person, RoleGrant
from tests.conftest import QIBIN_TOWNSHIP, QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN_TOWNSHIP
from tests.factories import valid_id_number, valid_phone

pytestmark = pytest.mark.django_db


def test_a_qixian_coordinator_lists_only_qixian_people(as_role, make_person):
    ours = [make_person("volunteer", QIXIAN_TOWNSHIP) for _ in range(3)]
    make_person("volunteer", XUNXIAN_TOWNSHIP)
    make_person("liaison", QIBIN_TOWNSHIP)
    client = as_role("county_coordinator", QIXIAN)

    response = client.get("/api/v1/people", limit=200)

    assert response.status_code == 200
    body = response.json()
    area_codes = {item["area_code"] for item in body["items"]}
    assert all(code.startswith(QIXIAN) for code in area_codes)
    assert {p.pk for p in ours} <= {item["id"] for item in body["items"]}
    assert (
        body["count"] == Person.objects.filter(home_area__code__startswith=QIXIAN).count() == 4
    )  # 3 + the coordinator


def test_a_qixian_coordinator_gets_404_for_a_xunxian_person(as_role, make_person):
    other = make_person("volunteer", XUNXIAN_TOWNSHIP)
    client = as_role("county_coordinator", QIXIAN)

    response = client.get(f"/api/v1/people/{other.pk}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_qixian_coordinator_cannot_update_a_xunxian_person(as_role, make_person):
    other = make_person("volunteer", XUNXIAN_TOWNSHIP, name="张三")
    client = as_role("county_coordinator", QIXIAN)

    response = client.patch(f"/api/v1/people/{other.pk}", {"name": "李四"})

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.name == "张三"
    assert not AuditEntry.objects.filter(action="person_update").exists()


def test_a_volunteer_cannot_list_people(as_role):
    client = as_role("volunteer", QIXIAN_TOWNSHIP)

    response = client.get("/api/v1/people")

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_a_township_coordinator_sees_phone_and_id_masked(as_role, make_person):
    member = make_person("volunteer", QIXIAN_TOWNSHIP, phone="13812345678")
    client = as_role("township_coordinator", QIXIAN_TOWNSHIP)

    listed = client.get("/api/v1/people").json()["items"]
    detail = client.get(f"/api/v1/people/{member.pk}").json()

    row = next(item for item in listed if item["id"] == member.pk)
    assert row["phone"] == "138****5678"
    assert detail["phone"] == "138****5678"
    assert detail["id_number"] == "*" * 14 + member.id_number_last4
    assert not AuditEntry.objects.filter(action="personal_data_read").exists()


def test_a_county_coordinator_sees_personal_data_unmasked_and_audited(as_role, make_person):
    id_number = valid_id_number(42)
    member = make_person("volunteer", QIXIAN_TOWNSHIP, phone="13812345678", id_number=id_number)
    client = as_role("county_coordinator", QIXIAN)

    detail = client.get(f"/api/v1/people/{member.pk}", headers={"REMOTE_ADDR": "127.0.0.9"}).json()

    assert detail["phone"] == "13812345678"
    assert detail["id_number"] == id_number
    entry = AuditEntry.objects.get(action="personal_data_read", object_id=str(member.pk))
    assert entry.object_type == "person"
    assert entry.area_code == QIXIAN_TOWNSHIP
    assert entry.ip == "127.0.0.9"
    assert entry.actor_username == client_username(client)


def client_username(client):
    return client.get("/api/v1/me").json()["username"]


def test_an_unmasked_list_is_audited_once_with_the_people_it_showed(as_role, make_person):
    members = [make_person("volunteer", QIXIAN_TOWNSHIP) for _ in range(2)]
    client = as_role("county_coordinator", QIXIAN)

    client.get("/api/v1/people")

    entry = AuditEntry.objects.get(action="personal_data_read", object_type="person_list")
    assert {m.pk for m in members} <= set(entry.details["person_ids"])
    assert entry.area_code.startswith(QIXIAN)


def test_people_can_be_filtered_by_role_and_area(as_role, make_person):
    volunteer = make_person("volunteer", QIXIAN_TOWNSHIP)
    make_person("liaison", QIXIAN_TOWNSHIP)
    client = as_role("city_admin", "410600")

    body = client.get("/api/v1/people", role="volunteer", area=QIXIAN).json()

    assert [item["id"] for item in body["items"]] == [volunteer.pk]
    assert body["items"][0]["roles"] == [{"role": "volunteer", "area_code": QIXIAN_TOWNSHIP}]


def test_a_coordinator_registers_a_volunteer_in_their_county(as_role):
    client = as_role("county_coordinator", QIXIAN)
    id_number = valid_id_number(7)

    response = client.post(
        "/api/v1/people",
        {
            "name": "王五",
            "phone": "+86 138-0000-1111",
            "home_area_code": QIXIAN_TOWNSHIP,
            "id_number": id_number,
            "roles": ["volunteer"],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    person = Person.objects.get(pk=body["id"])
    assert person.phone == "13800001111"
    assert id_number not in person.id_number_encrypted
    assert person.id_number_last4 == id_number[-4:]
    assert list(RoleGrant.objects.filter(user=person.user).values_list("role", "area_id")) == [
        ("volunteer", QIXIAN_TOWNSHIP)
    ]
    assert AuditEntry.objects.filter(action="person_create", object_id=str(person.pk)).count() == 1


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"phone": "12345"}, 422, "invalid_phone"),
        ({"phone": "010-12345678"}, 422, "invalid_phone"),  # a landline
        ({"id_number": "410622199001011234"}, 422, "invalid_id_number"),  # bad checksum
        ({"home_area_code": "410699999"}, 422, "unknown_area"),
        ({"home_area_code": XUNXIAN_TOWNSHIP}, 404, "area_outside_jurisdiction"),
        ({"name": ""}, 422, "invalid_input"),
        ({"name": 12}, 422, "invalid_input"),
        ({"roles": ["county_coordinator"]}, 403, "role_not_grantable"),
        ({"roles": ["emperor"]}, 422, "invalid_input"),
        ({"surprise": True}, 422, "invalid_input"),
        ({"team_id": 999999}, 422, "unknown_team"),
    ],
)
def test_bad_registrations_are_refused_and_write_nothing(as_role, payload, status, code):
    client = as_role("township_coordinator", QIXIAN_TOWNSHIP)
    before = (Person.objects.count(), RoleGrant.objects.count(), AuditEntry.objects.count())
    good = {
        "name": "赵六",
        "phone": valid_phone(99),
        "home_area_code": QIXIAN_TOWNSHIP,
        "id_number": valid_id_number(99),
    }

    response = client.post("/api/v1/people", {**good, **payload})

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert (Person.objects.count(), RoleGrant.objects.count(), AuditEntry.objects.count()) == before


def test_duplicate_phone_and_id_number_are_conflicts(as_role, make_person):
    existing = make_person("volunteer", QIXIAN_TOWNSHIP, phone="13912345678", id_number=valid_id_number(5))
    client = as_role("county_coordinator", QIXIAN)
    base = {"name": "孙七", "home_area_code": QIXIAN_TOWNSHIP}

    by_phone = client.post("/api/v1/people", {**base, "phone": existing.phone})
    by_id = client.post("/api/v1/people", {**base, "phone": valid_phone(500), "id_number": valid_id_number(5)})

    assert (by_phone.status_code, by_phone.json()["code"]) == (409, "duplicate_phone")
    assert (by_id.status_code, by_id.json()["code"]) == (409, "duplicate_id_number")
    assert Person.objects.filter(name="孙七").count() == 0


def test_malformed_json_is_a_400_with_a_code(as_role):
    client = as_role("county_coordinator", QIXIAN)

    response = client.post("/api/v1/people", raw='{"name": "x", ')

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"


def test_an_oversized_body_is_refused_before_it_is_read(as_role, settings):
    client = as_role("county_coordinator", QIXIAN)
    settings.API_MAX_BODY_BYTES = 2048

    response = client.post("/api/v1/people", {"name": "x" * 5000})

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_an_update_to_an_area_outside_the_jurisdiction_changes_nothing(as_role, make_person):
    member = make_person("volunteer", QIXIAN_TOWNSHIP, name="周八")
    client = as_role("county_coordinator", QIXIAN)

    response = client.patch(f"/api/v1/people/{member.pk}", {"name": "周九", "home_area_code": XUNXIAN_TOWNSHIP})

    assert (response.status_code, response.json()["code"]) == (404, "area_outside_jurisdiction")
    member.refresh_from_db()
    assert (member.name, member.home_area_id) == ("周八", QIXIAN_TOWNSHIP)


def test_a_township_coordinator_cannot_change_the_county_coordinator_who_lives_in_the_township(as_role, make_person):
    boss = make_person("county_coordinator", QIXIAN, home=QIXIAN_TOWNSHIP, name="县协调员")
    client = as_role("township_coordinator", QIXIAN_TOWNSHIP)

    response = client.patch(f"/api/v1/people/{boss.pk}", {"name": "改了", "is_active": False})

    assert (response.status_code, response.json()["code"]) == (403, "person_outranks_actor")
    boss.refresh_from_db()
    assert (boss.name, boss.is_active) == ("县协调员", True)
    # The county's own coordinators (and anyone above) still can; so can the township's for its members.
    assert as_role("county_coordinator", QIXIAN).patch(f"/api/v1/people/{boss.pk}", {"name": "改了"}).status_code == 200
    member = make_person("volunteer", QIXIAN_TOWNSHIP)
    assert client.patch(f"/api/v1/people/{member.pk}", {"name": "新名字"}).status_code == 200


@pytest.mark.parametrize("name", ["   ", "\u3000"])
def test_a_name_made_only_of_spaces_is_refused_and_the_old_one_kept(as_role, make_person, name):
    member = make_person("volunteer", QIXIAN_TOWNSHIP, name="周八")

    response = as_role("county_coordinator", QIXIAN).patch(f"/api/v1/people/{member.pk}", {"name": name})

    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
    member.refresh_from_db()
    assert member.name == "周八"


def test_a_coordinator_grants_a_station_head_role_inside_their_county(as_role, make_person):
    member = make_person("volunteer", QIXIAN_TOWNSHIP)
    client = as_role("county_coordinator", QIXIAN)

    response = client.post(f"/api/v1/people/{member.pk}/roles", {"role": "station_head", "area_code": QIXIAN_TOWNSHIP})

    assert response.status_code == 201
    assert {"role": "station_head", "area_code": QIXIAN_TOWNSHIP} in response.json()["roles"]


def test_a_township_coordinator_cannot_grant_a_county_role(as_role, make_person):
    member = make_person("volunteer", QIXIAN_TOWNSHIP)
    client = as_role("township_coordinator", QIXIAN_TOWNSHIP)

    response = client.post(
        f"/api/v1/people/{member.pk}/roles", {"role": "county_coordinator", "area_code": QIXIAN_TOWNSHIP}
    )

    assert (response.status_code, response.json()["code"]) == (403, "role_not_grantable")
    assert not RoleGrant.objects.filter(user=member.user, role="county_coordinator").exists()


def test_listing_people_takes_the_same_number_of_queries_for_5_or_50(as_role, make_person, django_assert_num_queries):
    client = as_role("county_coordinator", QIXIAN)
    for _ in range(4):
        make_person("volunteer", QIXIAN_TOWNSHIP)
    client.get("/api/v1/people")  # warm the token's last-used write out of the count

    # token, grants, count, page, role grants (prefetch), audit entry
    with django_assert_num_queries(6) as few:
        client.get("/api/v1/people")
    for _ in range(45):
        make_person("volunteer", QIXIAN_TOWNSHIP)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/people", limit=100).json()["count"] == 50


def test_only_roles_that_see_phones_may_search_by_phone(as_role, make_person):
    make_person("volunteer", QIXIAN_TOWNSHIP, phone="13812345678", name="钱一")
    masked = as_role("township_coordinator", QIXIAN_TOWNSHIP)
    unmasked = as_role("county_coordinator", QIXIAN)

    assert masked.get("/api/v1/people", q="2345678").json()["count"] == 0
    assert [p["name"] for p in unmasked.get("/api/v1/people", q="2345678").json()["items"]] == ["钱一"]
    assert [p["name"] for p in masked.get("/api/v1/people", q="钱").json()["items"]] == ["钱一"]
