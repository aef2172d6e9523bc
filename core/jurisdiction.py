"""Jurisdiction: the Area subtrees in which a user may use a capability.

Written once here; every selector that lists people, teams, areas, alerts or
sessions filters through `Jurisdiction.q(...)`, so scoping is never per-view.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.errors import Forbidden, InvalidInput, NotFound
from core.models import PREFIX_LENGTH, Area, AreaLevel, RoleGrant
from core.roles import CAPABILITIES, Capability

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    AnyUser = User | AnonymousUser


@dataclass(frozen=True)
class Jurisdiction:
    """A set of NBS code prefixes, none inside another."""

    prefixes: tuple[str, ...]

    @classmethod
    def from_prefixes(cls, prefixes: list[str] | set[str] | tuple[str, ...]) -> Jurisdiction:
        kept: list[str] = []
        for prefix in sorted(set(prefixes), key=len):
            if not any(prefix.startswith(k) for k in kept):
                kept.append(prefix)
        return cls(tuple(sorted(kept)))

    @property
    def is_empty(self) -> bool:
        return not self.prefixes

    def covers(self, code: str | None) -> bool:
        return bool(code) and any(code.startswith(p) for p in self.prefixes)  # type: ignore[union-attr]

    def q(self, field: str) -> Q:
        """A filter keeping rows whose `field` (an area code) lies inside this jurisdiction."""
        if not self.prefixes:
            return Q(pk__in=[])
        query = Q()
        for prefix in self.prefixes:
            query |= Q(**{f"{field}__startswith": prefix})
        return query


def shared_prefix(first: str, second: str) -> str:
    """The prefix of the smallest division holding both area codes ("" when none does).

    A jurisdiction covers it only if it covers both areas, so whatever is addressed to it
    reaches nobody who may see only one of them.
    """
    for length in sorted(PREFIX_LENGTH.values(), reverse=True):
        if len(first) >= length and len(second) >= length and first[:length] == second[:length]:
            return first[:length]
    return ""


def enclosing_codes(prefix: str) -> list[str]:
    """The division codes of the county and the city above an area code or prefix (not the area itself).

    NBS codes nest by their digits: 410622101 (a township) lies in the county 410622 and the city 410600.
    """
    lengths = sorted(PREFIX_LENGTH.values())  # city 4, county 6, township 9, village 12
    found = []
    for length in lengths[:2]:  # the levels that raise alerts and host sessions above a township
        if len(prefix) > length:
            found.append(prefix[:length].ljust(6, "0"))
    return found


def grants_of(user: AnyUser) -> list[RoleGrant]:
    """The user's role grants, fetched once per user object (i.e. per request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached: list[RoleGrant] | None = getattr(user, "_zq_grants", None)
    if cached is None:
        cached = list(RoleGrant.objects.filter(user__pk=user.pk or 0).select_related("area"))
        user._zq_grants = cached  # type: ignore[union-attr]
    return cached


def jurisdiction_for(user: AnyUser, capability: Capability) -> Jurisdiction:
    return Jurisdiction.from_prefixes(
        [g.area.prefix for g in grants_of(user) if capability in CAPABILITIES.get(g.role, frozenset())]
    )


def require(user: AnyUser, capability: Capability) -> Jurisdiction:
    """The user's jurisdiction for a capability; Forbidden if their roles never carry it."""
    found = jurisdiction_for(user, capability)
    if found.is_empty:
        raise Forbidden()
    return found


def outranking(jurisdiction: Jurisdiction, person_ids: Collection[int]) -> set[int]:
    """Those of `person_ids` who hold a role beyond the jurisdiction, in one query.

    Living in a township does not put its coordinator above you: such a person (the county's
    coordinator, the city's admin) is changed from above, whoever else may see them.
    """
    if not person_ids:
        return set()
    beyond = RoleGrant.objects.filter(user__person__pk__in=person_ids).exclude(jurisdiction.q("area__code"))
    return set(beyond.values_list("user__person__pk", flat=True))


OUTRANKS_ACTOR = _("This person holds a role above your jurisdiction; ask a coordinator at that level.")


def counties_covered(user: AnyUser, *capabilities: Capability) -> list[Area]:
    """The counties the user holds every one of `capabilities` over whole, by code (none for a role below a county).

    What a report of whole counties may show them: the yearly evaluation, and whether the dashboard offers it.
    """
    counties = Area.objects.filter(level=AreaLevel.COUNTY)
    for capability in capabilities:
        counties = counties.filter(jurisdiction_for(user, capability).q("code"))
    return list(counties.order_by("code"))


def require_within(user: AnyUser, capability: Capability, area_code: str, **details: Any) -> Jurisdiction:
    """Like `require`, and the area must lie inside it; outside looks like it does not exist."""
    found = require(user, capability)
    if not found.covers(area_code):
        raise NotFound(details=details or None)
    return found


def area_within(
    jurisdiction: Jurisdiction | Area,
    code: str,
    *,
    field: str = "area_code",
    outside: tuple[str, Any] = ("area_outside_jurisdiction", _("That area is outside your jurisdiction.")),
) -> Area:
    """An existing division, named in a request, inside the jurisdiction (or one area, e.g. a session's host level).

    Unknown is the caller's typo: 422 `unknown_area`. Outside is what the contract says of anything
    outside the caller's jurisdiction, wherever it is named (path, query or body): 404, with the
    `outside` (code, message), by default `area_outside_jurisdiction` (divisions are public, so the
    code reveals nothing).
    """
    return areas_within(jurisdiction, [code], field=field, outside=outside)[0]


def areas_within(
    jurisdiction: Jurisdiction | Area,
    codes: Sequence[str],
    *,
    field: str = "area_code",
    outside: tuple[str, Any] = ("area_outside_jurisdiction", _("That area is outside your jurisdiction.")),
) -> list[Area]:
    """`area_within` for several codes, in one query; the first bad code (in the order given) is the error."""
    found = {area.code: area for area in Area.objects.filter(code__in=set(codes))}
    areas = []
    for code in codes:
        area = found.get(code)
        if area is None:
            raise InvalidInput(_("Unknown division code."), code="unknown_area", details={field: code})
        inside = jurisdiction.contains(code) if isinstance(jurisdiction, Area) else jurisdiction.covers(code)
        if not inside:
            outside_code, message = outside
            raise NotFound(message, code=outside_code, details={field: code})
        areas.append(area)
    return areas
