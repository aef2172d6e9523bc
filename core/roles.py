"""Roles and what each may do.

A role is granted over an Area subtree (the grant's jurisdiction). A user's
jurisdiction for a capability is the union of the areas of their grants whose
role carries that capability, so a volunteer who is also a township
coordinator may manage people only inside that township.
"""

from __future__ import annotations

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("City administrator")
    COUNTY_COORDINATOR = "county_coordinator", _("County coordinator")
    TOWNSHIP_COORDINATOR = "township_coordinator", _("Township coordinator")
    STATION_HEAD = "station_head", _("Station head")
    VOLUNTEER = "volunteer", _("Volunteer police")
    LIAISON = "liaison", _("Liaison")


class Capability(enum.Enum):
    VIEW_PEOPLE = "view_people"
    MANAGE_PEOPLE = "manage_people"
    VIEW_PERSONAL_DATA = "view_personal_data"  # unmasked phone and ID numbers
    RAISE_ALERTS = "raise_alerts"
    HOST_SESSIONS = "host_sessions"
    VIEW_AUDIT = "view_audit"


STAFF_ROLES = frozenset({Role.CITY_ADMIN, Role.COUNTY_COORDINATOR, Role.TOWNSHIP_COORDINATOR, Role.STATION_HEAD})
MEMBER_ROLES = frozenset({Role.VOLUNTEER, Role.LIAISON})

_C = Capability
CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.CITY_ADMIN: frozenset(_C),
    # County coordinators phone their members and manage the county's records,
    # so they see phone and ID numbers (each read is audited).
    Role.COUNTY_COORDINATOR: frozenset(_C),
    Role.TOWNSHIP_COORDINATOR: frozenset({_C.VIEW_PEOPLE, _C.MANAGE_PEOPLE, _C.RAISE_ALERTS, _C.HOST_SESSIONS}),
    Role.STATION_HEAD: frozenset({_C.VIEW_PEOPLE}),
    Role.VOLUNTEER: frozenset(),
    Role.LIAISON: frozenset(),
}

# Which roles a holder of a role may grant to others (always inside their own jurisdiction).
GRANTABLE: dict[str, frozenset[str]] = {
    Role.CITY_ADMIN: frozenset(Role),
    Role.COUNTY_COORDINATOR: frozenset({Role.TOWNSHIP_COORDINATOR, Role.STATION_HEAD, Role.VOLUNTEER, Role.LIAISON}),
    Role.TOWNSHIP_COORDINATOR: frozenset({Role.STATION_HEAD, Role.VOLUNTEER, Role.LIAISON}),
}
