"""Going on and off duty, and reporting where one is while on duty.

Privacy rule from the product: a position is kept only while its owner is on
duty, and only the latest fix. Going off duty deletes it (after commit, so a
rolled-back change never loses a fix).

The database is the truth about duty; the position store (Redis with REDIS_URL)
only holds fixes. When the store is away, going on or off duty still commits:
a fix that could not be removed is ignored by every reader (they keep only
people on duty in the database) and removed by `positions_prune` within a
minute of the store's return. What needs the store itself (storing or reading a
fix) answers PositionsUnavailable (503 `positions_unavailable`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, InvalidInput, NotFound, PositionsUnavailable
from core.geo import checked_wgs84
from core.models import DutyStatus, Person
from core.positions import FRESH_FOR, Fix, positions

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger("zhengqi.duty")

MAX_ACCURACY_M = 100_000.0


def person_of(actor: User) -> Person:
    """The member record behind a login; a login without one (a pure API account) cannot go on duty."""
    person = Person.objects.filter(user_id=actor.pk, is_active=True).first()
    if person is None:
        raise NotFound(_("This login has no member record."), code="no_member_record")
    return person


@transaction.atomic
def duty_set(*, actor: User, on_duty: bool) -> DutyStatus:
    person = person_of(actor)
    now = timezone.now()
    status, created = DutyStatus.objects.select_for_update().get_or_create(
        person=person, defaults={"on_duty": on_duty, "changed_at": now}
    )
    if not created and status.on_duty != on_duty:
        status.on_duty = on_duty
        status.changed_at = now
        status.save(update_fields=["on_duty", "changed_at"])
    if not on_duty:
        transaction.on_commit(lambda: _forget_fix(person_id=person.pk))
    return status


def duty_withdraw(*, person_id: int) -> None:
    """Off duty without being asked (the member was deactivated): their fix is forgotten after commit."""
    DutyStatus.objects.filter(person_id=person_id, on_duty=True).update(on_duty=False, changed_at=timezone.now())
    transaction.on_commit(lambda: _forget_fix(person_id=person_id))


def _forget_fix(*, person_id: int) -> None:
    """Delete an off-duty person's fix; with the store away, leave it to positions_prune (readers ignore it)."""
    try:
        positions().remove(person_id)
    except PositionsUnavailable:
        logger.warning("the fix of person %s stays until the position store is back (off duty)", person_id)


def is_on_duty(*, person_id: int) -> bool:
    return DutyStatus.objects.filter(person_id=person_id, on_duty=True).exists()


def location_report(
    *,
    actor: User,
    lat: float,
    lon: float,
    datum: str | None = None,
    accuracy_m: float | None = None,
    at: datetime | None = None,
) -> Fix:
    """Store the caller's latest fix (converted to WGS-84). Only while on duty; else Conflict."""
    point = checked_wgs84(lat, lon, datum)
    if accuracy_m is not None and not (0.0 <= accuracy_m <= MAX_ACCURACY_M):
        raise InvalidInput(
            _("Accuracy must be between 0 and 100,000 metres."),
            code="invalid_accuracy",
            details={"accuracy_m": accuracy_m},
        )
    person = person_of(actor)
    if not is_on_duty(person_id=person.pk):
        raise Conflict(_("Go on duty before sharing your location."), code="not_on_duty")
    now = timezone.now()
    # A phone's clock may run ahead; a fix is never newer than its arrival.
    taken = min(at, now) if at is not None else now
    if taken < now - FRESH_FOR:
        raise InvalidInput(_("This fix is too old to use."), code="stale_fix", details={"at": taken.isoformat()})
    fix = Fix(person_id=person.pk, lat=point.lat, lon=point.lon, accuracy_m=accuracy_m, at=taken)
    positions().put(fix)
    return fix


def location_get(*, actor: User) -> Fix:
    person = person_of(actor)
    fix = positions().get(person.pk)
    # A fix left behind by going off duty while the store was away is not yours to use any more.
    if fix is None or not is_on_duty(person_id=person.pk):
        raise NotFound(_("No location is stored for you."), code="no_location")
    return fix


def positions_prune(*, now: datetime) -> int:
    """Forget stale fixes and the fixes of people not on duty; returns how many went.

    The second kind is a removal that failed while the store was away, or a fix that
    raced its owner going off duty: the privacy rule holds within one run of this.
    """
    store = positions()
    removed = store.prune(before=now - FRESH_FOR)
    kept = [fix.person_id for fix in store.fresh(fresh_after=now - FRESH_FOR)]
    # One query for any number of fixes: the ids travel as one parameter (core/lookups.py).
    on_duty = set(Person.objects.filter(pk__in_array=kept, duty__on_duty=True).values_list("pk", flat=True))
    off_duty = [person_id for person_id in kept if person_id not in on_duty]
    for person_id in off_duty:
        store.remove(person_id)
    return removed + len(off_duty)
