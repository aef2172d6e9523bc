"""The staff dashboard (/dashboard/): a shell; its data comes from /api/v1 and /ws/v1/dashboard.

Only staff (coordinators, station heads, admins) get it; everyone else is sent to the phone app.
What the page may offer (raise alerts, host sessions, ...) follows the user's grants, but the API
enforces every rule again: the page only hides what would be refused.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from core.jurisdiction import counties_covered, grants_of, jurisdiction_for
from core.roles import CAPABILITIES, GRANTABLE, STAFF_ROLES, Capability, Role


def page_config(user: Any) -> dict[str, Any]:
    """What the page's script needs to know before its first API call (rendered with json_script)."""
    grants = [g for g in grants_of(user) if g.role in STAFF_ROLES]
    return {
        "tiles": {
            "url": settings.MAP_TILE_URL,
            "datum": settings.MAP_TILE_DATUM,
            "attribution": settings.MAP_TILE_ATTRIBUTION,
        },
        "username": user.get_username(),
        "grants": [
            {"role": g.role, "role_label": str(Role(g.role).label), "area_code": g.area_id, "area_name": g.area.name}
            for g in grants
        ],
        "can": {c.value: not jurisdiction_for(user, c).is_empty for c in Capability},
        # Where the user may host sessions (and confirm a relayed session's receipt): the page offers
        # a session's actions only where the API would take them.
        "host_units": [
            {"area_code": g.area_id, "area_prefix": g.area.prefix}
            for g in grants
            if Capability.HOST_SESSIONS in CAPABILITIES.get(g.role, frozenset())
        ],
        # Where the user may raise alerts: the alert form offers these areas (and their teams) as targets.
        "alert_units": [
            {"area_code": g.area_id, "area_prefix": g.area.prefix}
            for g in grants
            if Capability.RAISE_ALERTS in CAPABILITIES.get(g.role, frozenset())
        ],
        # Where the user may register and change members (and import liaisons), and which roles they may
        # grant where: the People view offers only these; the API decides the same way (core.services.people).
        "manage_units": [
            {"area_code": g.area_id, "area_prefix": g.area.prefix}
            for g in grants
            if Capability.MANAGE_PEOPLE in CAPABILITIES.get(g.role, frozenset())
        ],
        "grantable": [
            {"area_prefix": g.area.prefix, "roles": sorted(GRANTABLE[g.role])} for g in grants if g.role in GRANTABLE
        ],
        "roles": {r.value: str(r.label) for r in Role},
        # The yearly evaluation is of whole counties: offered where /reports/evaluation would answer
        # (dispatch.evaluation asks the same question).
        "evaluation": bool(counties_covered(user, Capability.VIEW_PEOPLE, Capability.HOST_SESSIONS)),
    }


@login_required
def shell(request: HttpRequest) -> HttpResponse:
    if not any(g.role in STAFF_ROLES for g in grants_of(request.user)):
        return redirect("/m/")
    config = page_config(request.user)
    return render(request, "web/dashboard.html", {"tiles": config["tiles"], "config": config})


urlpatterns = [
    path("", shell, name="dashboard"),
]
