"""What a dashboard is sent right after its welcome: the current state of its jurisdiction.

Ephemeral frames only say what changed, and a dashboard that (re)connects
would otherwise draw nothing until the next change. The `snapshot` frame
(docs/PROTOCOL.md) carries, for the areas the dashboard covers:

- `online`: people with a phone socket open, per home area (as `presence` frames); null while
  presence (Redis) cannot be read;
- `on_duty`: people on duty, per home area;
- one entry per section a feature app registered with `register_section`
  (realtime knows no feature: apps add what their boards need, e.g. open alerts).

Everything here is a read scoped to the dashboard's jurisdiction (its area prefixes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db.models import Count
from redis.exceptions import RedisError

from core.jurisdiction import Jurisdiction
from core.models import DutyStatus
from realtime import presence

logger = logging.getLogger("zhengqi.realtime")

# name -> section(prefixes) returning JSON-able data; runs on a database thread.
Section = Callable[[tuple[str, ...]], Any]
_sections: dict[str, Section] = {}
_RESERVED = frozenset({"type", "online", "on_duty"})


def register_section(name: str, section: Section) -> None:
    """Add `name` to every snapshot: `section(prefixes)` must read only inside those area prefixes.

    Call it once, from the app's `AppConfig.ready()`. A section that fails is
    left out of that snapshot (and logged); the dashboard still gets the rest.
    """
    if name in _RESERVED:
        raise ValueError(f"snapshot section name {name!r} is reserved")
    _sections[name] = section


def unregister_section(name: str) -> None:
    _sections.pop(name, None)


def on_duty_by_area(*, prefixes: tuple[str, ...]) -> dict[str, int]:
    """Active people on duty per home area code, inside the prefixes."""
    rows = (
        DutyStatus.objects.filter(on_duty=True, person__is_active=True)
        .filter(Jurisdiction(prefixes).q("person__home_area__code"))
        .values_list("person__home_area_id")
        .annotate(people=Count("pk"))
        .order_by()
    )
    return {area: people for area, people in rows}


def _online(prefixes: tuple[str, ...]) -> dict[str, int] | None:
    """Connected phones per area; None (unknown) while presence (Redis) cannot be read, so the rest still goes."""
    try:
        return presence.counts_by_area(prefixes=prefixes)
    except RedisError:
        logger.warning("dashboard snapshot without presence: Redis is unavailable")
        return None


def dashboard_snapshot(*, prefixes: tuple[str, ...]) -> dict[str, Any]:
    """The snapshot sections for a dashboard covering `prefixes`."""
    sections: dict[str, Any] = {"online": _online(prefixes), "on_duty": on_duty_by_area(prefixes=prefixes)}
    for name, section in list(_sections.items()):
        try:
            sections[name] = section(prefixes)
        except Exception:
            logger.exception("snapshot section %s failed; sent without it", name)
    return sections
