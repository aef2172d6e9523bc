"""Live coverage announcements: throttled per area, the last change flushed, position changes detected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from core.models import DutyStatus, Person
from core.positions import Fix, MemoryStore
from liaisons.live import coverage_changed, coverage_flush, coverage_watch
from liaisons.services import liaison_import
from tests.liaisons.sheets import liaison_row, to_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """What was handed to realtime's announce: (event type, county), in order."""
    found: list[tuple[str, str]] = []
    monkeypatch.setattr("liaisons.live.announce", lambda event, *, area_code: found.append((event.type, area_code)))
    return found


def _window_ends(county: str) -> None:
    cache.delete(f"zq:coverage:sent:{county}")


def test_coverage_updates_are_throttled_per_county_and_the_last_one_is_flushed(
    sent: list[tuple[str, str]],
) -> None:
    first = coverage_changed(area_code="410622101")
    second = coverage_changed(area_code="410622101001")  # a village of the same township
    other = coverage_changed(area_code="410622102")
    county = coverage_changed(area_code="410622")
    flushed_early = coverage_flush(area_codes=["410622", "410622101", "410622102"])

    assert (first, second, other, county) == (True, False, True, True)
    assert sent == [
        ("coverage.changed", "410622101"),
        ("coverage.changed", "410622102"),
        ("coverage.changed", "410622"),
    ]
    assert flushed_early == 0
    _window_ends("410622101")
    flushed = coverage_flush(area_codes=["410622", "410622101", "410622102"])

    assert flushed == 1
    assert sent[-1] == ("coverage.changed", "410622101")


def test_going_on_duty_moving_and_going_off_duty_are_announced_by_the_watch(
    sent: list[tuple[str, str]], make_person: Callable[..., Person], store: MemoryStore
) -> None:
    volunteer = make_person("volunteer", "410622101")
    townships = ["410622101", "410622102"]
    now = timezone.now()

    quiet_start = coverage_watch(township_codes=townships, now=now)
    DutyStatus.objects.create(person=volunteer, on_duty=True, changed_at=now)
    store.put(Fix(person_id=volunteer.pk, lat=35.60, lon=114.25, accuracy_m=5.0, at=now))
    on_duty = coverage_watch(township_codes=townships, now=now)
    unchanged = coverage_watch(township_codes=townships, now=now)
    _window_ends("410622101")
    store.put(Fix(person_id=volunteer.pk, lat=35.61, lon=114.25, accuracy_m=5.0, at=now))
    moved = coverage_watch(township_codes=townships, now=now)
    _window_ends("410622101")
    store.remove(volunteer.pk)
    off_duty = coverage_watch(township_codes=townships, now=now)

    assert (quiet_start, on_duty, unchanged, moved, off_duty) == (0, 1, 0, 1, 1)
    assert sent == [("coverage.changed", "410622101")] * 3


def test_an_import_announces_the_townships_whose_members_changed_after_commit(
    sent: list[tuple[str, str]], make_person: Callable[..., Person], django_capture_on_commit_callbacks: Any
) -> None:
    actor = make_person("county_coordinator", "410622")
    content = to_csv([liaison_row(n) for n in range(2)])  # 朝歌街道 and 桥盟街道

    with django_capture_on_commit_callbacks(execute=True):
        liaison_import(actor=actor.user, content=content, dry_run=False)
        assert sent == []  # nothing before the commit

    assert sent == [("coverage.changed", "410622001"), ("coverage.changed", "410622002")]
