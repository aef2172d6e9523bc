"""Partial updates (core.partial): the shared UNSET sentinel, given() and assign(), and the audit
entries of the services built on them, which list the fields changed in the order of their keywords."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from core.models import AuditEntry, Hero
from core.partial import UNSET, assign, given
from core.services.heroes import hero_update
from core.services.people import person_update
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP

QIXIAN_OTHER_TOWNSHIP = "410622102"


def test_given_keeps_what_was_passed_none_included_in_its_order():
    assert given(b=None, a=UNSET, c="", d=0) == {"b": None, "c": "", "d": 0}
    assert list(given(z=1, y=2, x=3)) == ["z", "y", "x"]


def test_assign_sets_only_the_plain_fields_given_through_their_cleaner():
    record = SimpleNamespace(name="old", note="old", team="kept")

    assign(record, {"name": "  new ", "team": "resolved elsewhere"}, {"name": str.strip, "note": None})

    assert vars(record) == {"name": "new", "note": "old", "team": "kept"}


@pytest.mark.django_db
def test_a_hero_updates_audit_lists_lookups_and_plain_fields_in_keyword_order(make_person):
    actor = make_person("county_coordinator", QIXIAN)
    member = make_person("volunteer", QIXIAN_TOWNSHIP)
    hero = Hero.objects.create(
        name="张勇",
        home_area_id=QIXIAN_TOWNSHIP,
        deed="勇救落水儿童",
        deed_date=date(2025, 7, 3),
        honour="hero",
        honoured_on=date(2025, 9, 1),
    )

    hero_update(
        actor=actor.user,
        hero_id=hero.pk,
        awarding_body=" 淇县人民政府 ",
        honour="commendation",
        area_code=QIXIAN_OTHER_TOWNSHIP,
        name=" 张大勇 ",
        person_id=member.pk,
    )

    hero.refresh_from_db()
    assert (hero.name, hero.person_id, hero.home_area_id, hero.honour, hero.awarding_body, hero.deed) == (
        "张大勇",
        member.pk,
        QIXIAN_OTHER_TOWNSHIP,
        "commendation",
        "淇县人民政府",
        "勇救落水儿童",
    )
    entry = AuditEntry.objects.get(action="hero_update")
    assert entry.details == {"fields": ["person", "name", "home_area", "honour", "awarding_body"]}


@pytest.mark.django_db
def test_a_person_updates_audit_lists_plain_fields_around_the_looked_up_ones(make_person):
    actor = make_person("county_coordinator", QIXIAN)
    member = make_person("volunteer", QIXIAN_TOWNSHIP, name="张三")

    person_update(
        actor=actor.user,
        person_id=member.pk,
        is_active=False,
        team_id=None,
        home_area_code=QIXIAN_OTHER_TOWNSHIP,
        name=" 李四 ",
    )

    member.refresh_from_db()
    assert (member.name, member.is_active, member.team_id, member.home_area_id) == (
        "李四",
        False,
        None,
        QIXIAN_OTHER_TOWNSHIP,
    )
    entry = AuditEntry.objects.get(action="person_update")
    assert entry.details == {"fields": ["name", "home_area", "team", "is_active"]}
