from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from shapely.geometry import Point, shape

from core.demo import Generator
from core.models import Area, AreaBoundary, Person, RoleGrant, Team

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def seeded(monkeypatch):
    monkeypatch.setenv("ZHENGQI_DEMO_PASSWORD", "demo-password-1")
    out = io.StringIO()
    call_command("seed_demo", "--seed", "7", "--no-progress", stdout=out)
    return out.getvalue()


def test_it_creates_exactly_1976_volunteers_and_3000_liaisons(seeded):
    seeded_volunteers = Person.objects.filter(user__username__regex=r"^vol\d{4}$")
    seeded_liaisons = Person.objects.filter(user__username__regex=r"^lia\d{4}$")

    assert seeded_volunteers.count() == 1976
    assert seeded_liaisons.count() == 3000
    assert RoleGrant.objects.filter(role="volunteer", user__username__regex=r"^vol\d{4}$").count() == 1976
    assert not seeded_volunteers.filter(team__isnull=True).exists()
    assert Team.objects.count() == 96  # two teams in each of the 48 townships
    assert not Team.objects.filter(leader__isnull=True).exists()
    assert set(seeded_volunteers.values_list("home_area__level", flat=True)) == {"township"}
    assert seeded_volunteers.values("home_area").distinct().count() == 48


def test_every_seeded_home_lies_inside_its_county_polygon(seeded):
    polygons = {code: shape(geometry) for code, geometry in AreaBoundary.objects.by_area().items()}
    homes = Person.objects.filter(home_area__level="township").values_list("home_area_id", "home_lat", "home_lon")

    outside = [
        (code, lat, lon)
        for code, lat, lon in homes
        if not polygons[code[:6] if code[:6] in polygons else "410611"].contains(Point(lon, lat))
    ]

    assert len(homes) > 4900
    assert outside == []


def test_the_demo_logins_of_the_contract_exist_with_their_roles(seeded):
    # Other apps' seed hooks may add roles (a demo liaison may also head a station), so check membership.
    grants = set(
        RoleGrant.objects.filter(user__username__regex=r"^(admin|county_|township_|.*_demo)").values_list(
            "user__username", "role"
        )
    )
    counties = Area.objects.filter(level="county").values_list("code", flat=True)

    assert ("admin", "city_admin") in grants
    assert {(f"county_{c}", "county_coordinator") for c in counties} <= grants
    assert ("township_410611001", "township_coordinator") in grants
    assert ("volunteer_demo", "volunteer") in grants
    assert ("liaison_demo", "liaison") in grants
    assert Person.objects.get(user__username="volunteer_demo").home_area_id.startswith("410611")
    assert Person.objects.get(user__username="liaison_demo").home_area_id.startswith("410611")
    assert "Password: demo-password-1" in seeded


def test_the_printed_password_logs_in(seeded, anon):
    response = anon.post("/api/v1/auth/token", {"username": "county_410622", "password": "demo-password-1"})

    assert response.status_code == 200


def test_a_second_run_keeps_the_population_and_resets_the_password(seeded, monkeypatch, anon):
    monkeypatch.setenv("ZHENGQI_DEMO_PASSWORD", "demo-password-2")
    before = Person.objects.count()

    call_command("seed_demo", "--no-progress", stdout=io.StringIO())

    assert Person.objects.count() == before
    assert anon.post("/api/v1/auth/token", {"username": "vol0001", "password": "demo-password-2"}).status_code == 200
    assert get_user_model().objects.filter(username="vol0001").count() == 1


def test_the_same_seed_gives_the_same_people(hebi):
    areas = list(Area.objects.all())

    first = Generator(seed=3, areas=areas).population()
    second = Generator(seed=3, areas=areas).population()
    other = Generator(seed=4, areas=areas).population()

    assert [(p.name, p.phone, p.id_number, p.lat) for p in first.everyone()] == [
        (p.name, p.phone, p.id_number, p.lat) for p in second.everyone()
    ]
    assert [p.phone for p in first.volunteers] != [p.phone for p in other.volunteers]
