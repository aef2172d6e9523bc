"""A recipient's response to an alert, moving along a small state machine."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.jurisdiction import jurisdiction_for
from core.roles import Capability
from core.services.duty import person_of
from dispatch.events import AlertProgress
from dispatch.models import Alert, Delivery, Response, ResponseState
from dispatch.selectors import accepted_count
from dispatch.services.notify import announce_board, audit_alert, recipient_ids, require_active
from realtime.events import publish

if TYPE_CHECKING:
    from django.contrib.auth.models import User

S = ResponseState
# From each state (None: no response yet) to the states a responder may move to.
# Declining after accepting is allowed until on scene (plans change); a decline can be reversed.
TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({S.ACCEPTED, S.DECLINED}),
    S.ACCEPTED: frozenset({S.EN_ROUTE, S.ON_SCENE, S.DECLINED}),
    S.EN_ROUTE: frozenset({S.ON_SCENE, S.DECLINED}),
    S.ON_SCENE: frozenset({S.DONE}),
    S.DECLINED: frozenset({S.ACCEPTED}),
    S.DONE: frozenset(),
}


@transaction.atomic
def response_record(*, actor: User, alert_id: int, state: str, now: datetime | None = None) -> Response:
    if state not in S.values:
        raise InvalidInput(_("Unknown response state."), code="unknown_state", details={"state": state})
    now = now or timezone.now()
    person = person_of(actor)
    # The alert row lock orders concurrent responses, so counts and "first accepted" are exact.
    alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
    if alert is None:
        raise NotFound()
    if not Delivery.objects.filter(alert=alert, person=person).exists():
        if jurisdiction_for(actor, Capability.RAISE_ALERTS).covers(alert.area_id):
            raise Forbidden(_("Only recipients of this alert may respond."), code="not_a_recipient")
        raise NotFound()
    require_active(alert, now=now)
    response = Response.objects.filter(alert=alert, person=person).first()
    current = response.state if response else None
    if current == state:
        raise Conflict(_("You already gave this response."), code="duplicate_response", details={"state": state})
    allowed = TRANSITIONS[current]
    if state not in allowed:
        raise Conflict(
            _("This response is not possible now."),
            code="invalid_transition",
            details={"from": current, "to": state, "allowed": sorted(allowed)},
        )
    before = accepted_count(alert=alert)
    if response is None:
        response = Response(alert=alert, person=person)
    response.state = state
    setattr(response, f"{state}_at", now)
    response.save()
    first_fields: dict[str, str] = {S.ACCEPTED: "first_accepted_at", S.ON_SCENE: "first_on_scene_at"}
    if state in first_fields and getattr(alert, first_fields[state]) is None:
        setattr(alert, first_fields[state], now)
        alert.save(update_fields=[first_fields[state], "updated_at"])
    after = accepted_count(alert=alert)
    if after != before:
        # Everyone who got the alert learns how many are going; enough of them → the rest stand down.
        publish(
            AlertProgress(alert_id=alert.pk, accepted=after, needed=alert.needed, stand_down=after >= alert.needed),
            to=recipient_ids(alert=alert),
        )
    audit_alert(
        actor=actor, alert=alert, action="response", area_code=person.home_area_id, state=state, previous=current
    )
    announce_board(alert=alert, person=person, state=state)
    return response
