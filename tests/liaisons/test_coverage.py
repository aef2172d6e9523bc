"""The pure coverage counts: who is counted where, on duty, connected, targets and gaps."""

from __future__ import annotations

from liaisons.coverage import Member, area_counts, sector_gaps, shortfalls, target_for, townships_without_on_duty

AREAS = [("410600", "4106"), ("410622", "410622"), ("410622101", "410622101"), ("410622102", "410622102")]
MEMBERS = [
    Member(person_id=1, home_code="410622101", is_volunteer=True),
    Member(person_id=2, home_code="410622101", sector="food_delivery", work_codes=("410622102",)),
    Member(person_id=3, home_code="410622102", is_volunteer=True, sector="school"),
    Member(person_id=4, home_code="410621101", is_volunteer=True),
]


def test_members_are_counted_at_home_and_liaisons_also_where_they_work() -> None:
    counts = {c.area_code: c for c in area_counts(areas=AREAS, members=MEMBERS, on_duty={2, 4})}

    assert [(c.volunteers, c.liaisons, c.on_duty) for c in counts.values()] == [
        (3, 2, 2),
        (2, 2, 1),
        (1, 1, 1),
        (1, 2, 1),
    ]
    assert counts["410622102"].liaisons_by_sector == {"food_delivery": 1, "school": 1}
    assert counts["410622102"].on_duty_by_sector == {"food_delivery": 1}
    assert {c.connected for c in counts.values()} == {None}


def test_connected_is_counted_only_when_presence_is_supplied() -> None:
    counts = area_counts(areas=AREAS[2:3], members=MEMBERS, on_duty=set(), connected={1, 3})

    assert counts[0].connected == 1


def test_townships_without_on_duty_are_exact() -> None:
    counts = area_counts(areas=AREAS, members=MEMBERS, on_duty={3})

    assert townships_without_on_duty(townships=["410622101", "410622102"], counts=counts) == ["410622101"]


def test_the_most_specific_target_wins_and_shortfalls_list_what_is_missing() -> None:
    targets = [("4106", "food_delivery", 1), ("410622", "food_delivery", 2), ("4106", "school", 1)]

    assert target_for(township="410622101", sector="food_delivery", targets=targets) == 2
    assert target_for(township="410621101", sector="food_delivery", targets=targets) == 1
    found = shortfalls(
        townships=["410622101", "410622102"], sectors=["food_delivery", "school"], liaisons=MEMBERS, targets=targets
    )
    assert [(s.township, s.sector, s.required, s.actual, s.missing) for s in found] == [
        ("410622101", "food_delivery", 2, 1, 1),
        ("410622101", "school", 1, 0, 1),
        ("410622102", "food_delivery", 2, 1, 1),
    ]


def test_sector_gaps_name_each_townships_missing_sectors() -> None:
    gaps = sector_gaps(
        townships=["410622101", "410622102", "410622103"], sectors=["food_delivery", "school"], liaisons=MEMBERS
    )

    assert gaps == {"410622101": ["school"], "410622103": ["food_delivery", "school"]}
