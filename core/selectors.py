"""Reads of areas, people, teams, heroes and audit entries, always scoped to the acting user."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, Q, QuerySet

from core.errors import NotFound
from core.jurisdiction import Jurisdiction, grants_of, jurisdiction_for, require
from core.models import Area, AreaBoundary, AuditEntry, Hero, Person, RoleGrant, Team
from core.roles import Capability

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def area_visible(*, actor: User) -> Jurisdiction:
    """Where an actor may look at the map: every area any of their grants covers."""
    return Jurisdiction.from_prefixes([g.area.prefix for g in grants_of(actor)])


def area_list(*, actor: User, level: str | None = None, parent: str | None = None) -> QuerySet[Area]:
    """Areas inside the actor's grants, plus their ancestors so the tree can be walked from the city down."""
    visible = area_visible(actor=actor)
    ancestors = [p for prefix in visible.prefixes for p in _ancestor_prefixes(prefix)]
    query = visible.q("code") | Q(prefix__in=ancestors)
    areas = Area.objects.filter(query) if not visible.is_empty else Area.objects.none()
    if level:
        areas = areas.filter(level=level)
    if parent:
        areas = areas.filter(parent_id=parent)
    return areas


def area_outline(*, area: Area) -> dict[str, Any] | None:
    """The area's GeoJSON outline, where one is shipped (counties); `area` comes from a scoped selector."""
    geometry: dict[str, Any] | None = AreaBoundary.objects.filter(area=area).values_list("geometry", flat=True).first()
    return geometry


def _ancestor_prefixes(prefix: str) -> list[str]:
    return [prefix[:n] for n in (4, 6, 9) if n < len(prefix)]


def area_get(*, actor: User, code: str) -> Area:
    area = area_list(actor=actor).filter(code=code).first()
    if area is None:
        raise NotFound()
    return area


def _people(jurisdiction: Jurisdiction) -> QuerySet[Person]:
    return (
        Person.objects.filter(jurisdiction.q("home_area__code"))
        .select_related("home_area", "user")
        .prefetch_related(Prefetch("user__role_grants", queryset=RoleGrant.objects.order_by("id")))
    )


def person_list(
    *,
    actor: User,
    role: str | None = None,
    area: str | None = None,
    team_id: int | None = None,
    search: str | None = None,
) -> QuerySet[Person]:
    people = _people(require(actor, Capability.VIEW_PEOPLE))
    if role:
        people = people.filter(user__role_grants__role=role).distinct()
    if area:
        people = people.filter(home_area__code__startswith=area)
    if team_id is not None:
        people = people.filter(team_id=team_id)
    if search:
        query = Q(name__contains=search)
        # Only roles that see phone numbers may search by them: a suffix search would
        # otherwise reveal the masked digits one probe at a time.
        if not jurisdiction_for(actor, Capability.VIEW_PERSONAL_DATA).is_empty and search.isdigit():
            query |= Q(phone__endswith=search)
        people = people.filter(query)
    return people.order_by("id")


def person_get(*, actor: User, person_id: int) -> Person:
    person = _people(require(actor, Capability.VIEW_PEOPLE)).filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    return person


def person_reveals_personal_data(*, actor: User, person: Person) -> bool:
    """Whether the actor's role needs this person's phone and ID number unmasked."""
    return jurisdiction_for(actor, Capability.VIEW_PERSONAL_DATA).covers(person.home_area_id)


def team_list(*, actor: User, area: str | None = None) -> QuerySet[Team]:
    teams = Team.objects.filter(require(actor, Capability.VIEW_PEOPLE).q("area__code")).select_related("area")
    if area:
        teams = teams.filter(area__code__startswith=area)
    return teams.order_by("area_id", "name")


def team_get(*, actor: User, team_id: int) -> Team:
    team = team_list(actor=actor).filter(pk=team_id).first()
    if team is None:
        raise NotFound()
    return team


def hero_list(
    *,
    actor: User,
    area: str | None = None,
    honour: str | None = None,
    year: int | None = None,
    search: str | None = None,
) -> QuerySet[Hero]:
    """Honoured heroes homed inside the actor's jurisdiction, latest honour first."""
    heroes = Hero.objects.filter(require(actor, Capability.VIEW_PEOPLE).q("home_area__code")).select_related(
        "home_area", "recorded_by__person"
    )
    if area:
        heroes = heroes.filter(home_area__code__startswith=area)
    if honour:
        heroes = heroes.filter(honour=honour)
    if year is not None:
        heroes = heroes.filter(honoured_on__year=year)
    if search:
        heroes = heroes.filter(Q(name__contains=search) | Q(deed__contains=search) | Q(awarding_body__contains=search))
    return heroes.order_by("-honoured_on", "-id")


def hero_get(*, actor: User, hero_id: int) -> Hero:
    hero = hero_list(actor=actor).filter(pk=hero_id).first()
    if hero is None:
        raise NotFound()
    return hero


def audit_list(
    *,
    actor: User,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.filter(require(actor, Capability.VIEW_AUDIT).q("area_code")).select_related(
        "actor__person"
    )
    if action:
        entries = entries.filter(action=action)
    if since:
        entries = entries.filter(at__gte=since)
    if until:
        entries = entries.filter(at__lt=until)
    return entries.order_by("-at", "-id")
