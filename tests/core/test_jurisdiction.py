from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from core.jurisdiction import (
    Jurisdiction,
    counties_covered,
    grants_of,
    jurisdiction_for,
    outranking,
    shared_prefix,
)
from core.models import Area, AreaBoundary, Person
from core.roles import Capability
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP, XUNXIAN_TOWNSHIP


def test_nested_prefixes_collapse_to_the_widest():
    assert Jurisdiction.from_prefixes(["410622101", "410622", "4106", "410621"]).prefixes == ("4106",)
    assert Jurisdiction.from_prefixes(["410622101", "410621", "410622"]).prefixes == ("410621", "410622")


def test_a_county_covers_its_townships_but_not_its_neighbours():
    qixian = Jurisdiction.from_prefixes([QIXIAN])

    assert qixian.covers(QIXIAN_TOWNSHIP)
    assert qixian.covers(QIXIAN)
    assert not qixian.covers(XUNXIAN_TOWNSHIP)
    assert not qixian.covers("")
    assert not qixian.covers(None)


@given(
    st.lists(st.sampled_from(["4106", "410622", "410621", "410622101", "410611001"]), max_size=5),
    st.text("0123456789", min_size=4, max_size=12),
)
def test_covers_agrees_with_the_prefixes_it_was_built_from(prefixes, code):
    assert Jurisdiction.from_prefixes(prefixes).covers(code) == any(code.startswith(p) for p in prefixes)


@pytest.mark.django_db
def test_the_filter_matches_covers_on_real_areas(hebi):
    qixian = Jurisdiction.from_prefixes([QIXIAN])

    inside = set(Area.objects.filter(qixian.q("code")).values_list("code", flat=True))

    assert inside == {a.code for a in Area.objects.all() if qixian.covers(a.code)}
    assert len(inside) == 10  # the county and its 9 townships


@pytest.mark.django_db
def test_an_empty_jurisdiction_matches_nothing(make_person):
    make_person("volunteer", QIXIAN_TOWNSHIP)

    assert not Person.objects.filter(Jurisdiction(()).q("home_area__code")).exists()


@pytest.mark.django_db
def test_a_capability_comes_only_from_roles_that_carry_it(make_person):
    person = make_person("volunteer", QIXIAN_TOWNSHIP)
    from tests.factories import RoleGrantFactory

    RoleGrantFactory(user=person.user, role="township_coordinator", area=Area.objects.get(code=XUNXIAN_TOWNSHIP))
    person.user.refresh_from_db()

    assert jurisdiction_for(person.user, Capability.MANAGE_PEOPLE).prefixes == (XUNXIAN_TOWNSHIP,)
    assert jurisdiction_for(person.user, Capability.VIEW_PERSONAL_DATA).is_empty


@pytest.mark.django_db
@pytest.mark.django_db
def test_counties_covered_are_the_whole_counties_every_capability_reaches(make_person):
    both = (Capability.VIEW_PEOPLE, Capability.HOST_SESSIONS)
    every = list(Area.objects.filter(level="county").order_by("code").values_list("code", flat=True))

    def codes(role: str, area: str, *capabilities: Capability) -> list[str]:
        return [a.code for a in counties_covered(make_person(role, area).user, *capabilities)]

    assert codes("city_admin", "410600", *both) == every
    assert codes("county_coordinator", QIXIAN, *both) == [QIXIAN]
    assert codes("township_coordinator", QIXIAN_TOWNSHIP, *both) == []  # a part of a county is not the county
    assert codes("station_head", QIXIAN, Capability.VIEW_PEOPLE) == [QIXIAN]
    assert codes("station_head", QIXIAN, *both) == []  # views people, hosts nothing
    assert codes("volunteer", QIXIAN_TOWNSHIP, *both) == []


@pytest.mark.django_db
def test_outranking_names_in_one_query_those_holding_a_role_beyond_the_jurisdiction(make_person):
    boss = make_person("county_coordinator", QIXIAN, home=QIXIAN_TOWNSHIP)
    admin = make_person("city_admin", "410600", home=QIXIAN_TOWNSHIP)
    peer = make_person("township_coordinator", QIXIAN_TOWNSHIP)
    member = make_person("volunteer", QIXIAN_TOWNSHIP)
    nobody = make_person(None, QIXIAN_TOWNSHIP)
    everyone = [boss.pk, admin.pk, peer.pk, member.pk, nobody.pk]
    township = Jurisdiction.from_prefixes([QIXIAN_TOWNSHIP])

    with CaptureQueriesContext(connection) as queries:
        found = outranking(township, everyone)

    assert (found, len(queries)) == ({boss.pk, admin.pk}, 1)
    assert outranking(Jurisdiction.from_prefixes([QIXIAN]), everyone) == {admin.pk}
    assert outranking(Jurisdiction.from_prefixes(["4106"]), everyone) == set()
    with CaptureQueriesContext(connection) as queries:
        assert outranking(township, []) == set()
    assert len(queries) == 0


def test_grants_leave_the_county_polygon_unread(make_person):
    person = make_person("volunteer", QIXIAN_TOWNSHIP)
    from tests.factories import RoleGrantFactory

    county = Area.objects.get(code=QIXIAN)
    outline = AreaBoundary.objects.get(area=county).geometry
    assert len(outline["coordinates"][0]) > 1000  # counties ship a polygon of ~1,500 points
    RoleGrantFactory(user=person.user, role="county_coordinator", area=county)
    person.user.refresh_from_db()

    with CaptureQueriesContext(connection) as queries:
        grant = next(g for g in grants_of(person.user) if g.role == "county_coordinator")
        assert (grant.area.prefix, grant.area.level) == (QIXIAN, "county")

    assert len(queries) == 1
    assert "boundary" not in queries[0]["sql"]
    assert grant.area.outline.geometry == outline  # still there when asked for (one more query)


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        (QIXIAN_TOWNSHIP, "410622101201", QIXIAN_TOWNSHIP),  # a village inside the township
        (QIXIAN_TOWNSHIP, "410622102", QIXIAN),  # two townships of 淇县
        (QIXIAN_TOWNSHIP, XUNXIAN_TOWNSHIP, "4106"),  # 淇县 and 浚县: only the city holds both
        ("410600", QIXIAN, "4106"),  # the city itself and one of its counties
        (QIXIAN, "410721001", ""),  # another city: no division of ours holds both
    ],
)
def test_the_shared_prefix_is_that_of_the_smallest_division_holding_both(first, second, shared):
    assert shared_prefix(first, second) == shared
    assert shared_prefix(second, first) == shared
