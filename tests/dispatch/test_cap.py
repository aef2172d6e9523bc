from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from lxml import etree

from dispatch import cap
from dispatch.models import Alert, CapRecord, Delivery
from dispatch.services import cap_import
from realtime.models import StreamEvent
from tests.conftest import JINSHAN, QIBIN, QIBIN_TOWNSHIP, QIXIAN
from tests.dispatch.cap_samples import (
    ALL,
    as_original,
    geocode,
    move_into_hebi,
    plain_alert,
    referenced_identifiers,
    sample,
    with_expiry,
)
from tests.dispatch.conftest import point_at

pytestmark = pytest.mark.django_db

CAP_XML = "application/cap+xml"
ALERT_SAMPLES = ["real-kz-freezing-rain-polygon.xml", *(n for n in ALL if n.startswith("spec-a") and "update" not in n)]


def _import(client, data: bytes, content_type: str = CAP_XML):
    return client.client.post(
        "/api/v1/alerts/cap", data, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {client.token}"
    )


@pytest.fixture
def admin(as_role):
    return as_role("city_admin", "410600")


# --- parsing -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_every_shipped_sample_parses(name):
    message = cap.parse(sample(name))

    assert message.identifier
    assert message.msg_type in ("Alert", "Update", "Cancel")
    assert message.sent.tzinfo is not None


def test_the_two_language_sample_keeps_both_blocks():
    message = cap.parse(sample("spec-a4-amber-alert.xml"))

    assert [i.language for i in message.infos] == ["en-US", "es-US"]
    assert message.infos[1].headline == "Alerta Amber en el condado de Los Ángeles"


def test_the_signed_update_lists_every_reference():
    message = cap.parse(sample("real-ca-ec-snowfall-update-signed.xml"))

    assert len(message.references) == 9
    assert message.references[0].identifier == "2.49.0.1.124.726d2331.2013"


# --- export --------------------------------------------------------------------------------
def _exported(client, alert_id) -> bytes:
    response = client.get(f"/api/v1/alerts/{alert_id}/cap")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/cap+xml")
    return response.content


def _valid(document: bytes) -> etree._Element:
    root = etree.fromstring(document)
    cap.schema().assertValid(root)
    return root


def test_an_exported_radius_alert_validates_against_the_oasis_schema(as_role, on_duty):
    on_duty(QIBIN_TOWNSHIP, at=point_at(JINSHAN, metres=300))
    client = as_role("county_coordinator", QIBIN)
    alert_id = client.post(
        "/api/v1/alerts",
        {
            "kind": "fire",
            "severity": "extreme",
            "title": "厂房起火",
            "lat": JINSHAN[0],
            "lon": JINSHAN[1],
            "radius_m": 2500,
        },
    ).json()["id"]

    root = _valid(_exported(client, alert_id))

    ns = {"c": cap.NS}
    assert root.findtext("c:msgType", namespaces=ns) == "Alert"
    assert root.findtext("c:identifier", namespaces=ns) == f"zhengqi.alert.{alert_id}"
    assert root.findtext("c:info/c:category", namespaces=ns) == "Fire"
    assert root.findtext("c:info/c:severity", namespaces=ns) == "Extreme"
    assert root.findtext("c:info/c:area/c:circle", namespaces=ns) == f"{JINSHAN[0]:.6f},{JINSHAN[1]:.6f} 2.500"
    assert root.findtext("c:info/c:area/c:geocode/c:value", namespaces=ns) == QIBIN_TOWNSHIP + "000"


def test_an_updated_then_cancelled_alert_exports_update_and_cancel_with_references(as_role):
    client = as_role("county_coordinator", QIBIN)
    alert_id = client.post(
        "/api/v1/alerts", {"kind": "other", "title": "演练通知", "area_codes": [QIBIN], "needed": 0}
    ).json()["id"]
    client.patch(f"/api/v1/alerts/{alert_id}", {"title": "演练通知（改期）"})
    update = _valid(_exported(client, alert_id))
    client.post(f"/api/v1/alerts/{alert_id}/cancel")
    cancel = _valid(_exported(client, alert_id))

    ns = {"c": cap.NS}
    assert update.findtext("c:msgType", namespaces=ns) == "Update"
    assert update.findtext("c:identifier", namespaces=ns) == f"zhengqi.alert.{alert_id}.v2"
    assert cancel.findtext("c:msgType", namespaces=ns) == "Cancel"
    for root in (update, cancel):
        sender, identifier, _ = root.findtext("c:references", namespaces=ns).split(",")
        assert (sender, identifier) == ("zhengqi@hebi.example.cn", f"zhengqi.alert.{alert_id}")


def test_importing_our_own_exported_cancel_cancels_the_alert(as_role):
    client = as_role("county_coordinator", QIBIN)
    alert_id = client.post("/api/v1/alerts", {"kind": "other", "title": "测试", "area_codes": [QIBIN]}).json()["id"]
    client.patch(f"/api/v1/alerts/{alert_id}", {"title": "测试 2"})
    update = _exported(client, alert_id).replace(b"<msgType>Update<", b"<msgType>Cancel<")

    response = _import(client, update)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"


# --- import: refused unmoved, imported moved -----------------------------------------------
@pytest.mark.parametrize("name", ALERT_SAMPLES)
def test_a_sample_whose_area_is_outside_the_jurisdiction_is_refused(admin, name):
    response = _import(admin, sample(name))

    assert response.status_code == 404
    assert response.json()["code"] == "cap_area_outside_jurisdiction"
    assert not Alert.objects.exists()
    assert not CapRecord.objects.exists()


@pytest.mark.parametrize(
    ("name", "area_codes", "severity", "languages", "expires"),
    [
        ("real-kz-freezing-rain-polygon.xml", ["410600"], "moderate", ["en-US"], datetime(2025, 3, 7, 16, tzinfo=UTC)),
        ("spec-a1-homeland-security.xml", [QIBIN], "severe", ["en-US"], None),
        (
            "spec-a2-severe-thunderstorm.xml",
            [
                *(f"410611{n}" for n in ("001", "002", "003", "004", "005", "100", "101", "566")),
                "410622101",
                "410622104",
                "410671",
            ],
            "severe",
            ["en-US"],
            datetime(2003, 6, 17, 23, tzinfo=UTC),
        ),
        ("spec-a4-amber-alert.xml", [QIBIN], "severe", ["en-US", "es-US"], None),
    ],
)
def test_a_sample_moved_into_hebi_imports_into_the_expected_alert(
    admin, name, area_codes, severity, languages, expires
):
    data = move_into_hebi(sample(name))
    original = cap.parse(sample(name))

    response = _import(admin, data)

    assert response.status_code == 201, response.content
    alert = Alert.objects.get(pk=response.json()["id"])
    assert alert.target_area_codes == area_codes
    assert alert.severity == severity
    assert [block["language"] for block in alert.languages] == languages
    assert alert.title == original.infos[0].headline
    assert alert.cap_sent == original.sent
    assert (alert.cap_sender, alert.cap_identifier, alert.source) == (original.sender, original.identifier, "cap")
    if expires is None:
        assert alert.status == "active"
    else:
        # A warning that expired long ago is kept for the record, closed, and rings nobody.
        assert (alert.expires_at, alert.status, Delivery.objects.filter(alert=alert).count()) == (expires, "closed", 0)


def test_a_county_coordinator_imports_only_the_part_inside_their_county(as_role):
    client = as_role("county_coordinator", QIBIN)

    response = _import(client, move_into_hebi(sample("real-kz-freezing-rain-polygon.xml")))

    assert response.status_code == 201
    assert response.json()["area_codes"] == [QIBIN]


def test_a_polygon_import_reaches_the_members_of_the_covered_areas(admin, make_person):
    inside = make_person("volunteer", QIBIN_TOWNSHIP)
    make_person("volunteer", "410621101")  # 浚县: outside the moved polygon
    data = with_expiry(move_into_hebi(sample("spec-a2-severe-thunderstorm.xml")), timezone.now() + timedelta(hours=2))

    body = _import(admin, data).json()

    assert body["status"] == "active"
    assert list(Delivery.objects.filter(alert_id=body["id"]).values_list("person_id", flat=True)) == [inside.pk]
    assert StreamEvent.objects.get(person=inside).payload["title"] == "SEVERE THUNDERSTORM WARNING"


# --- Update and Cancel -------------------------------------------------------------------------
def test_the_earthquake_update_changes_the_alert_it_references(admin):
    update = move_into_hebi(sample("spec-a3-earthquake-update.xml"))
    [(_sender, identifier)] = referenced_identifiers(update)
    created = _import(admin, as_original(update, identifier=identifier)).json()

    response = _import(admin, update)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["version"], body["severity"]) == (created["id"], 2, "minor")
    assert body["area_codes"] == ["410611005"]
    assert "reviewed by a seismologist" in body["description"]
    assert CapRecord.objects.filter(alert_id=body["id"]).count() == 2


def test_the_signed_two_language_update_changes_the_alert_it_references(admin):
    future = timezone.now() + timedelta(hours=6)
    update = with_expiry(move_into_hebi(sample("real-ca-ec-snowfall-update-signed.xml")), future)
    _sender, identifier = referenced_identifiers(update)[-1]
    created = _import(admin, as_original(update, identifier=identifier)).json()

    body = _import(admin, update).json()

    assert body["id"] == created["id"]
    assert [block["language"] for block in body["languages"]] == ["en-CA", "fr-CA"]
    assert body["expires_at"] == future.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def test_the_cancel_without_info_cancels_what_it_references(admin, make_person):
    cancel = sample("real-us-ipaws-nv-cancel.xml")
    [(sender, identifier)] = referenced_identifiers(cancel)
    member = make_person("volunteer", QIBIN_TOWNSHIP)
    original = plain_alert(identifier=identifier, sender=sender, area=geocode(QIBIN_TOWNSHIP + "000"))
    created = _import(admin, original).json()

    response = _import(admin, cancel)

    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["status"]) == (created["id"], "cancelled")
    assert StreamEvent.objects.filter(person=member, type="alert.cancelled").count() == 1


def test_a_cancel_for_an_unknown_alert_is_404(admin):
    response = _import(admin, sample("real-us-ipaws-nv-cancel.xml"))

    assert response.status_code == 404
    assert response.json()["code"] == "cap_reference_not_found"


def test_a_cancel_for_another_countys_alert_is_404(admin, as_role):
    cancel = sample("real-us-ipaws-nv-cancel.xml")
    [(sender, identifier)] = referenced_identifiers(cancel)
    _import(admin, plain_alert(identifier=identifier, sender=sender, area=geocode("410621000000")))

    response = _import(as_role("county_coordinator", QIXIAN), cancel)

    assert response.status_code == 404
    assert Alert.objects.get().status == "active"


# --- Chinese division-code geocodes --------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "area_codes"),
    [
        ("410622000000", [QIXIAN]),
        ("410622101000", ["410622101"]),
        ("410622101203", ["410622101"]),  # a village maps to its township
        ("410600000000", ["410600"]),
    ],
)
def test_a_12_digit_division_geocode_maps_to_areas_by_prefix(admin, value, area_codes):
    body = _import(admin, plain_alert(identifier=f"cn-{value}", sender="12379@cma.gov.cn", area=geocode(value))).json()

    assert body["area_codes"] == area_codes
    assert body["kind"] == "natural_hazard"
    assert body["languages"][0]["language"] == "zh-CN"


def test_a_geocode_outside_hebi_is_outside_the_jurisdiction(admin):
    response = _import(admin, plain_alert(identifier="bj", sender="12379@cma.gov.cn", area=geocode("110101000000")))

    assert response.status_code == 404
    assert response.json()["code"] == "cap_area_outside_jurisdiction"


# --- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"<alert", 422, "cap_malformed"),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", 422, "cap_not_cap12"),
        (f"<alert xmlns='{cap.NS}'><identifier>x</identifier></alert>".encode(), 422, "cap_invalid"),
        (b"", 422, "cap_malformed"),
    ],
)
def test_a_bad_document_gets_a_specific_code_and_writes_nothing(admin, data, status, code):
    response = _import(admin, data)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert not Alert.objects.exists()


@pytest.mark.parametrize(
    "area",
    [
        "<polygon>nan,nan nan,nan nan,nan nan,nan</polygon>",
        "<polygon>35.74,114.29 35.75,inf 35.75,114.29 35.74,114.29</polygon>",
        "<polygon>35.74,114.29 35.75,114.30</polygon>",  # two points: no ring at all
        "<polygon>35.74,114.29 35.75,114.30 35.74,114.29</polygon>",  # closed, but only 3 points
        "<polygon>35.74,114.29 35.75,114.29 35.75,114.30 35.74,114.30</polygon>",  # 4 points, left open
        "<polygon>95.0,114.29 95.1,114.29 95.1,114.30 95.0,114.29</polygon>",  # latitude beyond the pole
        "<circle>35.74,114.29 -5</circle><circle>35.75,114.29 1</circle>",
        "<circle>35.74,114.29 nan</circle>",
        "<circle>nan,114.29 1</circle>",
    ],
)
def test_a_cap_area_with_impossible_geometry_is_cap_invalid_and_writes_nothing(admin, area):
    response = _import(admin, plain_alert(identifier="geo-1", sender="x@y", area=area))

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "cap_invalid"
    assert not Alert.objects.exists()
    assert not CapRecord.objects.exists()


def test_a_closed_four_point_polygon_and_a_point_circle_are_taken(admin):
    triangle = "<polygon>35.74,114.29 35.75,114.29 35.75,114.30 35.74,114.29</polygon>"
    point = "<circle>35.745,114.295 0</circle>"

    response = _import(admin, plain_alert(identifier="geo-ok", sender="x@y", area=triangle + point))

    assert response.status_code == 201, response.content


def test_an_entity_expansion_attack_is_not_expanded(admin):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        + plain_alert(identifier="&b;", sender="x@y", area=geocode("410611000000")).split(b"?>", 1)[1]
    )

    response = _import(admin, bomb)

    assert response.status_code == 422
    assert response.json()["code"] == "cap_doctype_forbidden"
    assert not Alert.objects.exists()


def test_a_wrong_content_type_is_415(admin):
    response = _import(admin, sample("spec-a1-homeland-security.xml"), content_type="application/json")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_an_exercise_does_not_ring_phones(admin):
    data = plain_alert(identifier="ex", sender="x@y", area=geocode("410611000000")).replace(b"Actual", b"Exercise")

    response = _import(admin, data)

    assert response.status_code == 422
    assert response.json()["code"] == "cap_not_actual"


def test_the_same_message_twice_is_a_duplicate(admin):
    data = plain_alert(identifier="dup", sender="x@y", area=geocode("410611000000"))
    _import(admin, data)

    response = _import(admin, data)

    assert response.status_code == 409
    assert response.json()["code"] == "cap_duplicate"
    assert Alert.objects.count() == 1


def test_reposting_our_own_exported_alert_is_a_duplicate(as_role):
    client = as_role("county_coordinator", QIBIN)
    alert_id = client.post("/api/v1/alerts", {"kind": "fire", "title": "厂房起火", "area_codes": [QIBIN]}).json()["id"]

    response = _import(client, _exported(client, alert_id))

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "cap_duplicate"
    assert list(Alert.objects.values_list("pk", flat=True)) == [alert_id]


def _as_another_alert_of_ours(document: bytes, alert_id: int, other_id: int) -> bytes:
    return document.replace(f"zhengqi.alert.{alert_id}<".encode(), f"zhengqi.alert.{other_id}<".encode())


def test_an_alert_under_our_sender_and_identifiers_that_is_not_ours_is_refused(as_role):
    # Another Zhengqi left on the default ZHENGQI_CAP_SENDER names its alerts exactly as we do.
    client = as_role("county_coordinator", QIBIN)
    first = client.post("/api/v1/alerts", {"kind": "fire", "title": "厂房起火", "area_codes": [QIBIN]}).json()["id"]
    foreign = _as_another_alert_of_ours(_exported(client, first), first, first + 1)

    response = _import(client, foreign)
    raised = [client.post("/api/v1/alerts", {"kind": "fire", "title": "又起火", "area_codes": [QIBIN]}) for _ in "ab"]

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "cap_sender_collision"
    assert response.json()["message"].startswith("该消息使用了本系统自己的 CAP 发送方")
    assert response.json()["details"] == {
        "sender": "zhengqi@hebi.example.cn",
        "identifier": f"zhengqi.alert.{first + 1}",
    }
    assert [r.status_code for r in raised] == [201, 201]
    assert raised[0].json()["id"] == first + 1


def test_an_alert_is_raised_even_when_an_earlier_import_holds_its_identity(as_role, settings):
    # Imported while this deployment had another sender (or before imports were refused our identities).
    client = as_role("county_coordinator", QIBIN)
    first = client.post("/api/v1/alerts", {"kind": "fire", "title": "厂房起火", "area_codes": [QIBIN]}).json()["id"]
    foreign = _as_another_alert_of_ours(_exported(client, first), first, first + 2)
    settings.CAP_SENDER = "zhengqi@elsewhere.example.cn"
    assert _import(client, foreign).status_code == 201
    settings.CAP_SENDER = "zhengqi@hebi.example.cn"

    raised = client.post("/api/v1/alerts", {"kind": "fire", "title": "又起火", "area_codes": [QIBIN]})

    assert raised.status_code == 201, raised.content
    assert raised.json()["id"] == first + 2
    assert Alert.objects.get(pk=first + 2).cap_identifier == ""


def test_the_same_message_imported_twice_at_once_is_a_duplicate(admin, monkeypatch):
    data = plain_alert(identifier="twice", sender="x@y", area=geocode("410611000000"))
    _import(admin, data)
    checks = []
    checked = cap_import._refusal

    def too_early(message):  # the second import checks before the first has committed
        checks.append(message.identifier)
        return None if len(checks) == 1 else checked(message)

    monkeypatch.setattr(cap_import, "_refusal", too_early)

    response = _import(admin, data)

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "cap_duplicate"
    assert checks == ["twice", "twice"]
    assert Alert.objects.count() == 1


def test_a_volunteer_cannot_import(as_role):
    response = _import(as_role("volunteer", QIBIN_TOWNSHIP), sample("spec-a1-homeland-security.xml"))

    assert response.status_code == 403
