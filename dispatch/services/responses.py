"""What a recipient does with an alert: reads it, and responds along a small state machine."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.jurisdiction import jurisdiction_for
from core.models import Person
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
    delivery = _delivery_of(
        actor=actor, alert=alert, person=person, refusal=_("Only recipients of this alert may respond.")
    )
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
    # Answering needs the alert on screen: a response read it, if the read itself never arrived.
    _mark_read(delivery=delivery, now=now)
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


@transaction.atomic
def delivery_read(*, actor: User, alert_id: int, now: datetime | None = None) -> Delivery:
    """The recipient saw the alert's full screen: the first time is recorded, later calls change nothing.

    Any alert that was delivered to the actor, whatever its status: reading a cancelled or
    closed alert is not a response, so nothing forbids it (the stand-down was read too).
    """
    now = now or timezone.now()
    person = person_of(actor)
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        raise NotFound()
    delivery = _delivery_of(
        actor=actor, alert=alert, person=person, refusal=_("Only recipients of this alert can mark it read.")
    )
    if _mark_read(delivery=delivery, now=now):
        audit_alert(actor=actor, alert=alert, action="read")
        announce_board(alert=alert, person=person)
    return delivery


def _delivery_of(*, actor: User, alert: Alert, person: Person, refusal: Promise) -> Delivery:
    """The actor's delivery of the alert. A coordinator who sees the alert but got none: 403; anyone else: 404."""
    delivery = Delivery.objects.filter(alert=alert, person=person).first()
    if delivery is not None:
        return delivery
    if jurisdiction_for(actor, Capability.RAISE_ALERTS).covers(alert.area_id):
        raise Forbidden(refusal, code="not_a_recipient")
    raise NotFound()


def _mark_read(*, delivery: Delivery, now: datetime) -> bool:
    """Set read_at unless it is set; True when this call set it.

    A conditional UPDATE, so two reads racing (two tabs, a retry crossing its own answer) record
    the first time once and only one of them announces it.
    """
    if delivery.read_at is not None:
        return False
    changed = Delivery.objects.filter(pk=delivery.pk, read_at__isnull=True).update(read_at=now)
    if changed:
        delivery.read_at = now
    return bool(changed)
