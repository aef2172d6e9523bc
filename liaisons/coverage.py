"""Coverage counts, derived and never typed in: pure functions of members, fixes and targets.

Who is counted where:
- a volunteer in the areas containing their home;
- a liaison in the areas containing their home or any of their work areas (once per area);
- "on duty now" is a person with a fresh position fix (a fix is kept only while on duty),
  counted where they are counted as a member; None when the positions could not be read;
- "connected now" a person with a phone socket open (realtime's presence, which the caller
  reads), counted where they are counted as a member; None when presence could not be read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_LEVEL_LENGTHS = (4, 6, 9)


@dataclass(frozen=True)
class Member:
    person_id: int
    home_code: str
    is_volunteer: bool = False
    sector: str | None = None  # set for liaisons
    work_codes: tuple[str, ...] = ()

    def prefixes(self) -> set[str]:
        """Every city, county and township prefix this member is counted in."""
        codes = (self.home_code, *self.work_codes) if self.sector else (self.home_code,)
        return {code[:n] for code in codes for n in _LEVEL_LENGTHS if len(code) >= n}


@dataclass
class AreaCount:
    area_code: str
    volunteers: int = 0
    liaisons: int = 0
    on_duty: int | None = 0
    connected: int | None = None
    liaisons_by_sector: dict[str, int] = field(default_factory=dict)
    on_duty_by_sector: dict[str, int] | None = field(default_factory=dict)


def area_counts(
    *,
    areas: Sequence[tuple[str, str]],
    members: Iterable[Member],
    on_duty: set[int] | None,
    connected: set[int] | None = None,
) -> list[AreaCount]:
    """Counts for each (area code, prefix), in the order given."""
    by_prefix = {
        prefix: AreaCount(
            area_code=code,
            on_duty=0 if on_duty is not None else None,
            on_duty_by_sector={} if on_duty is not None else None,
            connected=0 if connected is not None else None,
        )
        for code, prefix in areas
    }
    for member in members:
        for prefix in member.prefixes():
            count = by_prefix.get(prefix)
            if count is None:
                continue
            home_here = member.home_code.startswith(prefix)
            if member.is_volunteer and home_here:
                count.volunteers += 1
            if member.sector:
                count.liaisons += 1
                count.liaisons_by_sector[member.sector] = count.liaisons_by_sector.get(member.sector, 0) + 1
            if on_duty is not None and member.person_id in on_duty:
                assert count.on_duty is not None
                assert count.on_duty_by_sector is not None
                count.on_duty += 1
                if member.sector:
                    count.on_duty_by_sector[member.sector] = count.on_duty_by_sector.get(member.sector, 0) + 1
            if connected is not None and member.person_id in connected and count.connected is not None:
                count.connected += 1
    return list(by_prefix.values())


def townships_without_on_duty(*, townships: Iterable[str], counts: Iterable[AreaCount]) -> list[str]:
    """The townships (codes, sorted) where nobody is on duty now (the counts must know who is on duty)."""
    counts = list(counts)
    if any(c.on_duty is None for c in counts):
        raise ValueError("on-duty counts are unknown")
    busy = {c.area_code for c in counts if c.on_duty}
    return sorted(code for code in townships if code not in busy)


@dataclass(frozen=True)
class Shortfall:
    township: str
    sector: str
    required: int
    actual: int

    @property
    def missing(self) -> int:
        return self.required - self.actual


def target_for(*, township: str, sector: str, targets: Sequence[tuple[str, str, int]]) -> int:
    """The most specific target (area prefix, sector, minimum) covering the township; 0 if none."""
    best: tuple[int, int] | None = None
    for prefix, target_sector, minimum in targets:
        if target_sector == sector and township.startswith(prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), minimum)
    return best[1] if best else 0


def shortfalls(
    *,
    townships: Iterable[str],
    sectors: Sequence[str],
    liaisons: Iterable[Member],
    targets: Sequence[tuple[str, str, int]],
) -> list[Shortfall]:
    """(township, sector) pairs with fewer liaisons than their target, ordered by township then sector."""
    have: Counter[tuple[str, str]] = Counter()
    for member in liaisons:
        if member.sector:
            for code in {c[:9] for c in (member.home_code, *member.work_codes) if len(c) >= 9}:
                have[(code, member.sector)] += 1
    found = []
    for township in sorted(townships):
        for sector in sectors:
            required = target_for(township=township, sector=sector, targets=targets)
            if have[(township, sector)] < required:
                found.append(Shortfall(township, sector, required, have[(township, sector)]))
    return found


def sector_gaps(
    *, townships: Iterable[str], sectors: Sequence[str], liaisons: Iterable[Member]
) -> dict[str, list[str]]:
    """Vacancies: for each township, the sectors in which it has no liaison at all."""
    present: dict[str, set[str]] = defaultdict(set)
    for member in liaisons:
        if member.sector:
            for code in (member.home_code, *member.work_codes):
                present[code[:9]].add(member.sector)
    return {
        township: [s for s in sectors if s not in present[township]]
        for township in sorted(townships)
        if any(s not in present[township] for s in sectors)
    }
