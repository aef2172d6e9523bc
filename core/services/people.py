"""Creating and changing people, teams and role grants, always inside the actor's jurisdiction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import crypto
from core.access import access_withdrawn
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.identity import normalize_id_number, normalize_phone
from core.jurisdiction import OUTRANKS_ACTOR, area_within, grants_of, outranking, require
from core.models import ApiToken, Area, AuditAction, Person, RoleGrant, Team
from core.partial import UNSET, Clean, assign, given
from core.roles import GRANTABLE, Capability, Role
from core.services.audit import audit_record
from core.services.duty import duty_withdraw

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class IdNumber:
    encrypted: str
    lookup_hash: str
    last4: str

    @classmethod
    def from_raw(cls, raw: str) -> IdNumber:
        normalised = normalize_id_number(raw)
        return cls(crypto.encrypt(normalised), crypto.lookup_hash(normalised), normalised[-4:])


def _check_unique(*, phone: str | None, id_hash: str | None, exclude_pk: int | None = None) -> None:
    others = Person.objects.exclude(pk=exclude_pk) if exclude_pk else Person.objects.all()
    if phone and others.filter(phone=phone).exists():
        raise Conflict(_("Someone is already registered with this phone number."), code="duplicate_phone")
    if id_hash and others.filter(id_number_hash=id_hash).exists():
        raise Conflict(_("Someone is already registered with this ID number."), code="duplicate_id_number")


def _team_in(actor: User, team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    jurisdiction = require(actor, Capability.MANAGE_PEOPLE)
    team = Team.objects.filter(pk=team_id).filter(jurisdiction.q("area__code")).first()
    if team is None:
        raise InvalidInput(_("Unknown team."), code="unknown_team", details={"team_id": team_id})
    return team


def check_grantable(actor: User, role: str, area: Area) -> None:
    """Forbidden unless one of the actor's grants may give `role` over `area`."""
    for grant in grants_of(actor):
        if role in GRANTABLE.get(grant.role, frozenset()) and area.code.startswith(grant.area.prefix):
            return
    raise Forbidden(_("You may not grant this role here."), code="role_not_grantable", details={"role": role})


# A liaison is someone in a sector: the liaison register (POST /api/v1/liaisons, liaisons.registering)
# makes the profile and the grant together, so a bare grant never leaves one with no sector.
LIAISON_NEEDS_SECTOR = _(
    "A liaison is registered with their sector: use the liaison register (POST /api/v1/liaisons) instead."
)


def _refuse_bare_liaison(roles: list[str]) -> None:
    if Role.LIAISON in roles:
        raise InvalidInput(
            LIAISON_NEEDS_SECTOR,
            code="liaison_needs_sector",
            details={"role": Role.LIAISON.value, "use": "POST /api/v1/liaisons"},
        )


@transaction.atomic
def person_create(
    *,
    actor: User,
    name: str,
    phone: str,
    home_area_code: str,
    id_number: str | None = None,
    team_id: int | None = None,
    roles: list[str] | None = None,
    username: str | None = None,
    password: str | None = None,
) -> Person:
    """Register a person with a login (username defaults to the phone number) and member roles at home.

    Not the liaison role: `liaison_needs_sector` (a liaison is registered with their sector, in one call,
    by liaisons.registering.liaison_register).
    """
    area = area_within(require(actor, Capability.MANAGE_PEOPLE), home_area_code)
    _refuse_bare_liaison(roles or [])
    phone = normalize_phone(phone)
    ident = IdNumber.from_raw(id_number) if id_number else None
    team = _team_in(actor, team_id)
    for role in roles or []:
        check_grantable(actor, role, area)
    _check_unique(phone=phone, id_hash=ident.lookup_hash if ident else None)

    user_model = get_user_model()
    username = (username or phone).strip()
    if user_model.objects.filter(username=username).exists():
        raise Conflict(_("This username is taken."), code="duplicate_username")
    user = user_model(username=username)
    if password:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise InvalidInput(_("The password is too weak."), code="weak_password", details=exc.messages) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    try:
        person = Person.objects.create(
            user=user,
            name=name.strip(),
            phone=phone,
            id_number_encrypted=ident.encrypted if ident else "",
            id_number_hash=ident.lookup_hash if ident else None,
            id_number_last4=ident.last4 if ident else "",
            home_area=area,
            team=team,
        )
    except IntegrityError:  # lost a race with a concurrent registration of the same person
        raise Conflict(_("This person is already registered."), code="duplicate_person") from None
    for role in roles or []:
        RoleGrant.objects.create(user=user, role=role, area=area, granted_by=actor)
    audit_record(
        actor=actor,
        action=AuditAction.PERSON_CREATE,
        object_type="person",
        object_id=person.pk,
        area_code=area.code,
        details={"roles": sorted(roles or [])},
    )
    return person


# What person_update stores as it is given (but for the stripped name).
_PLAIN: dict[str, Clean] = {"name": str.strip, "is_active": None}


@transaction.atomic
def person_update(
    *,
    actor: User,
    person_id: int,
    name: str = UNSET,
    phone: str = UNSET,
    id_number: str = UNSET,
    home_area_code: str = UNSET,
    team_id: int | None = UNSET,
    is_active: bool = UNSET,
) -> Person:
    """Change the given fields; the person and any new home area must both be in the actor's jurisdiction."""
    jurisdiction = require(actor, Capability.MANAGE_PEOPLE)
    person = Person.objects.select_for_update().filter(jurisdiction.q("home_area__code")).filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    if outranking(jurisdiction, [person.pk]):
        raise Forbidden(OUTRANKS_ACTOR, code="person_outranks_actor")
    changes = given(
        name=name, phone=phone, id_number=id_number, home_area=home_area_code, team=team_id, is_active=is_active
    )
    if phone is not UNSET:
        person.phone = normalize_phone(phone)
        _check_unique(phone=person.phone, id_hash=None, exclude_pk=person.pk)
    if id_number is not UNSET:
        ident = IdNumber.from_raw(id_number)
        _check_unique(phone=None, id_hash=ident.lookup_hash, exclude_pk=person.pk)
        person.id_number_encrypted, person.id_number_hash, person.id_number_last4 = (
            ident.encrypted,
            ident.lookup_hash,
            ident.last4,
        )
    if home_area_code is not UNSET:
        person.home_area = area_within(jurisdiction, home_area_code)
    if team_id is not UNSET:
        person.team = _team_in(actor, team_id)
    assign(person, changes, _PLAIN)
    person.save()
    if "is_active" in changes and person.user_id is not None:
        _login_follows(person, user_id=person.user_id)
    audit_record(
        actor=actor,
        action=AuditAction.PERSON_UPDATE,
        object_type="person",
        object_id=person.pk,
        area_code=person.home_area_id,
        details={"fields": list(changes)},
    )
    return person


def _login_follows(person: Person, *, user_id: int) -> None:
    """A member's login is active exactly while they are. Deactivated, it is refused everywhere at once:
    no sign-in or session (Django refuses an inactive user), every token revoked, off duty with the fix
    forgotten, and their open sockets closed after the commit. Reactivated, they sign in again."""
    get_user_model().objects.filter(pk=user_id).update(is_active=person.is_active)
    if person.is_active:
        return
    ApiToken.objects.filter(user_id=user_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    duty_withdraw(person_id=person.pk)
    access_withdrawn(user_ids=[user_id])


@transaction.atomic
def team_create(*, actor: User, name: str, area_code: str, leader_id: int | None = None) -> Team:
    jurisdiction = require(actor, Capability.MANAGE_PEOPLE)
    area = area_within(jurisdiction, area_code)
    leader = None
    if leader_id is not None:
        leader = Person.objects.filter(jurisdiction.q("home_area__code")).filter(pk=leader_id).first()
        if leader is None:
            raise InvalidInput(_("Unknown person."), code="unknown_person", details={"leader_id": leader_id})
        if outranking(jurisdiction, [leader.pk]):  # leading the team moves them into it: a change to them
            raise Forbidden(OUTRANKS_ACTOR, code="person_outranks_actor")
    if Team.objects.filter(area=area, name=name.strip()).exists():
        raise Conflict(_("A team with this name already exists here."), code="duplicate_team")
    team = Team.objects.create(name=name.strip(), area=area, leader=leader)
    if leader is not None:
        Person.objects.filter(pk=leader.pk).update(team=team)
    audit_record(
        actor=actor, action=AuditAction.TEAM_CREATE, object_type="team", object_id=team.pk, area_code=area.code
    )
    return team


@transaction.atomic
def role_grant(*, actor: User, person_id: int, role: str, area_code: str) -> RoleGrant:
    """Grant a role over an area to a person's login; the actor's own roles decide what they may grant.

    Not the liaison role (`liaison_needs_sector`): the liaison register gives it with the sector.
    """
    if role not in Role.values:
        raise InvalidInput(_("Unknown role."), code="unknown_role", details={"role": role})
    jurisdiction = require(actor, Capability.MANAGE_PEOPLE)
    area = area_within(jurisdiction, area_code)
    person = Person.objects.filter(jurisdiction.q("home_area__code")).filter(pk=person_id).first()
    if person is None or person.user_id is None:
        raise NotFound()
    check_grantable(actor, role, area)
    _refuse_bare_liaison([role])
    grant, created = RoleGrant.objects.get_or_create(
        user_id=person.user_id, role=role, area=area, defaults={"granted_by": actor}
    )
    if created:
        audit_record(
            actor=actor,
            action=AuditAction.ROLE_GRANT,
            object_type="person",
            object_id=person.pk,
            area_code=area.code,
            details={"role": role},
        )
    return grant


# Roles their own registers give and take: a station's head (liaisons' station service) and a liaison
# (the liaison register, which keeps their sector and employer); revoking the bare grant would leave it behind.
# Each with where it is taken away instead, named in the refusal's details (`{id}`: the person's).
_REVOKED_ELSEWHERE: dict[str, str] = {
    Role.STATION_HEAD: "PUT /api/v1/liaisons/stations/{{station_id}}/head",
    Role.LIAISON: "DELETE /api/v1/liaisons/{id}",
}


@transaction.atomic
def role_revoke(*, actor: User, person_id: int, role: str, area_code: str) -> None:
    """Take a role over an area from a person's login: what the actor may grant there, they may take away.

    The person's open sockets are closed after the commit (core.access): a dashboard reconnects with a
    fresh token and sees only what the login still holds. Nobody revokes their own roles (an admin
    locking themselves out), nor a role of someone who holds one above the actor's jurisdiction.
    """
    if role not in Role.values:
        raise InvalidInput(_("Unknown role."), code="unknown_role", details={"role": role})
    jurisdiction = require(actor, Capability.MANAGE_PEOPLE)
    person = Person.objects.filter(jurisdiction.q("home_area__code")).filter(pk=person_id).first()
    if person is None or person.user_id is None:
        raise NotFound()
    grant = (
        RoleGrant.objects.select_for_update()
        .select_related("area")
        .filter(user_id=person.user_id, role=role, area_id=area_code)
        .first()
    )
    if grant is None:
        raise NotFound(_("This person does not hold this role there."), code="role_not_held", details={"role": role})
    check_grantable(actor, role, grant.area)
    if person.user_id == actor.pk:
        raise Conflict(_("You cannot take away your own role; ask another coordinator."), code="own_role")
    if outranking(jurisdiction, [person.pk]):
        raise Forbidden(OUTRANKS_ACTOR, code="person_outranks_actor")
    if role in _REVOKED_ELSEWHERE:
        raise Conflict(
            _("This role is given and taken in its own register (the work station, the liaison register)."),
            code="role_managed_elsewhere",
            details={"role": role, "use": _REVOKED_ELSEWHERE[role].format(id=person.pk)},
        )
    grant.delete()
    audit_record(
        actor=actor,
        action=AuditAction.ROLE_REVOKE,
        object_type="person",
        object_id=person.pk,
        area_code=grant.area_id,
        details={"role": role},
    )
    access_withdrawn(user_ids=[person.user_id])
