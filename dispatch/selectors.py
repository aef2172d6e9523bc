"""Reads of alerts, always scoped: coordinators see alerts in their jurisdiction, members those sent to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from core.errors import NotFound
from core.jurisdiction import enclosing_codes, jurisdiction_for
from core.roles import Capability
from dispatch.models import Alert, Delivery, Response, ResponseState
from realtime.models import Stream

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _visible(actor: User) -> Q:
    """Alerts in the actor's alerting jurisdiction, raised above it and reaching their people, or delivered to them."""
    sent_to_me = Exists(Delivery.objects.filter(alert=OuterRef("pk"), person__user_id=actor.pk))
    return jurisdiction_for(actor, Capability.RAISE_ALERTS).q("area__code") | _from_above(actor) | Q(sent_to_me)


def _from_above(actor: User) -> Q:
    """Alerts raised for a whole area above the actor's (the city's, for a county; the county's or the city's,
    for a township) that reached people of the actor's jurisdiction: a city alert to every county's
    volunteers is watched by each county's coordinator, who sees it and their own people's answers (the
    board names nobody else), but does not direct it (`alert_managed`).

    Only alerts whose area is one of those few enclosing divisions are looked at, so the check of the
    deliveries runs for them alone. An alert located inside another county that also rings this one's
    people stays that county's (and the city's) to watch.
    """
    people = jurisdiction_for(actor, Capability.VIEW_PEOPLE)
    above = sorted({code for prefix in people.prefixes for code in enclosing_codes(prefix)})
    if not above:
        return Q(pk__in=[])
    reached = Exists(Delivery.objects.filter(alert=OuterRef("pk")).filter(people.q("person__home_area__code")))
    return Q(area__code__in=above) & Q(reached)


def alert_list(
    *,
    actor: User,
    status: str | None = None,
    kind: str | None = None,
    area: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Alert]:
    alerts = Alert.objects.filter(_visible(actor)).select_related("area")
    if status:
        alerts = alerts.filter(status=status)
    if kind:
        alerts = alerts.filter(kind=kind)
    if area:
        alerts = alerts.filter(area__code__startswith=area)
    if since:
        alerts = alerts.filter(created_at__gte=since)
    if until:
        alerts = alerts.filter(created_at__lt=until)
    return alerts.order_by("-created_at", "-id")


def alert_get(*, actor: User, alert_id: int) -> Alert:
    alert = Alert.objects.filter(_visible(actor)).select_related("area").filter(pk=alert_id).first()
    if alert is None:
        raise NotFound()
    return alert


def alert_managed(*, actor: User, alert_id: int, for_update: bool = False) -> Alert:
    """An alert the actor may change (inside their alerting jurisdiction); anything else is 404."""
    alerts = Alert.objects.filter(jurisdiction_for(actor, Capability.RAISE_ALERTS).q("area__code"))
    if for_update:
        alerts = alerts.select_for_update()
    alert = alerts.filter(pk=alert_id).first()
    if alert is None:
        raise NotFound()
    return alert


def delivery_counts(*, alert: Alert) -> dict[str, int]:
    """sent (rows), delivered (the phone acknowledged the event's sequence number), read (a person saw it)."""
    deliveries = Delivery.objects.filter(alert=alert)
    acked = Exists(Stream.objects.filter(person_id=OuterRef("person_id"), acked_seq__gte=OuterRef("seq")))
    sent, read = recipients_and_read(alert=alert)
    return {"sent": sent, "delivered": deliveries.filter(acked).count(), "read": read}


def recipients_and_read(*, alert: Alert) -> tuple[int, int]:
    """How many got the alert and how many of them read it, in one query."""
    counts = Delivery.objects.filter(alert=alert).aggregate(
        sent=Count("id"), read=Count("id", filter=Q(read_at__isnull=False))
    )
    return counts["sent"], counts["read"]


def deliveries_sent(*, alert: Alert) -> int:
    return Delivery.objects.filter(alert=alert).count()


def response_counts(*, alert: Alert) -> dict[str, int]:
    counts = {state: 0 for state in ResponseState.values}
    for row in Response.objects.filter(alert=alert).values("state").annotate(n=Count("id")):
        counts[row["state"]] = row["n"]
    return counts


# A responder counts towards an alert's `needed` from accepting on (en route, on scene and done too).
ACCEPTING = (ResponseState.ACCEPTED, ResponseState.EN_ROUTE, ResponseState.ON_SCENE, ResponseState.DONE)


def accepted_count(*, alert: Alert) -> int:
    """Responders who accepted and have not declined since (en route and on scene count too)."""
    return Response.objects.filter(alert=alert, state__in=ACCEPTING).count()


@dataclass
class BoardRow:
    person_id: int
    name: str
    area_code: str
    distance_m: float | None
    wave: int
    state: str | None
    accepted_at: datetime | None
    on_scene_at: datetime | None
    read_at: datetime | None


@dataclass
class Board:
    """An alert's progress for one coordinator.

    `rows` name only recipients homed inside the coordinator's jurisdiction; `by_state` and
    `recipients` count every recipient (the alert's progress, which they direct), and `hidden`
    says how many of those are people outside it, who are counted but never named.
    """

    alert: Alert
    manages: bool = True  # the viewer directs it (escalate, update, cancel, close); else they only watch
    rows: list[BoardRow] = field(default_factory=list)
    by_state: dict[str, int] = field(default_factory=dict)
    recipients: int = 0
    hidden: int = 0
    read: int = 0
    time_to_first_accept_s: float | None = None
    time_to_first_on_scene_s: float | None = None


def alert_board(*, actor: User, alert_id: int) -> Board:
    """The recipients and their states, nearest first; for coordinators of the alert's area, and for those
    below it whose people it reached (`_from_above`), who watch but do not direct it (`Board.manages`).

    An alert can reach several counties: a coordinator sees its whole progress in the counts, but only
    their own jurisdiction's people by name (see `Board`).
    """
    raising = jurisdiction_for(actor, Capability.RAISE_ALERTS)
    alert = Alert.objects.filter(raising.q("area__code") | _from_above(actor)).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound()
    people = jurisdiction_for(actor, Capability.VIEW_PEOPLE)
    responses = {r.person_id: r for r in Response.objects.filter(alert=alert)}
    board = Board(
        alert=alert,
        by_state={"no_response": 0, **{s: 0 for s in ResponseState.values}},
        manages=raising.covers(alert.area_id),
    )
    for answer in responses.values():
        board.by_state[answer.state] += 1
    board.recipients = Delivery.objects.filter(alert=alert).count()
    # Counted before the rows are read: each statement sees the commits made before it, so the rows
    # are never older than the count (a read landing in between shows in the rows, not yet in it).
    board.read = Delivery.objects.filter(alert=alert, read_at__isnull=False).count()
    board.by_state["no_response"] = board.recipients - len(responses)
    named = (
        Delivery.objects.filter(alert=alert)
        .filter(people.q("person__home_area__code"))
        .select_related("person")
        .order_by("wave", "distance_m", "id")
    )
    for delivery in named:
        response = responses.get(delivery.person_id)
        state = response.state if response else None
        board.rows.append(
            BoardRow(
                person_id=delivery.person_id,
                name=delivery.person.name,
                area_code=delivery.person.home_area_id,
                distance_m=delivery.distance_m,
                wave=delivery.wave,
                state=state,
                accepted_at=response.accepted_at if response else None,
                on_scene_at=response.on_scene_at if response else None,
                read_at=delivery.read_at,
            )
        )
    board.hidden = board.recipients - len(board.rows)
    if alert.first_accepted_at:
        board.time_to_first_accept_s = (alert.first_accepted_at - alert.created_at).total_seconds()
    if alert.first_on_scene_at:
        board.time_to_first_on_scene_s = (alert.first_on_scene_at - alert.created_at).total_seconds()
    return board


def alert_for_request(*, actor: User, request_key: str) -> Alert | None:
    """The alert this actor raised with this Idempotency-Key (a client's retry of one POST), if any."""
    return Alert.objects.filter(created_by=actor, request_key=request_key).first()
