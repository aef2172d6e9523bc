"""Private iCalendar feed URLs: issued (or rotated) and revoked by their owner."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from core.crypto import token_digest
from core.models import AuditAction
from core.services.audit import audit_record
from training.models import CalendarFeed
from training.services.common import acting_person

if TYPE_CHECKING:
    from django.contrib.auth.models import User

FEED_PREFIX = "zqcal_"


@transaction.atomic
def calendar_feed_issue(*, actor: User) -> str:
    """A new private feed token (any previous one stops working). Only its digest is stored."""
    person = acting_person(actor)
    raw = FEED_PREFIX + secrets.token_urlsafe(24)
    CalendarFeed.objects.update_or_create(person=person, defaults={"digest": token_digest(raw), "revoked_at": None})
    audit_record(
        actor=actor,
        action=AuditAction.SESSION_ACTION,
        object_type="calendar_feed",
        object_id=person.pk,
        area_code=person.home_area_id,
        details={"what": "issue"},
    )
    return raw


@transaction.atomic
def calendar_feed_revoke(*, actor: User) -> None:
    person = acting_person(actor)
    CalendarFeed.objects.filter(person=person).update(digest=None, revoked_at=timezone.now())
    audit_record(
        actor=actor,
        action=AuditAction.SESSION_ACTION,
        object_type="calendar_feed",
        object_id=person.pk,
        area_code=person.home_area_id,
        details={"what": "revoke"},
    )
