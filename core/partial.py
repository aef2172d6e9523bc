"""Partial updates (a PATCH's "only the fields sent"): the one sentinel and the plain-field loop.

A service that changes some fields of a record takes each as a keyword defaulting to `UNSET`:
`None` cannot mean "not given", since it is a value a caller may set (`team_id=None` takes a
person out of their team). The service names what was given with `given(...)` (its audit entry
lists those names, in that order), resolves the fields that need a lookup or a check itself,
and sets the plain ones with `assign(...)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

UNSET: Any = object()

Clean = Callable[[Any], Any] | None
"""How a plain field's value is stored (`str.strip`, an enum), or None to store it as given."""


def given(**fields: Any) -> dict[str, Any]:
    """The fields a caller gave (those not left `UNSET`), by their model names, in the order passed."""
    return {name: value for name, value in fields.items() if value is not UNSET}


def assign(instance: Any, changes: Mapping[str, Any], plain: Mapping[str, Clean]) -> None:
    """Set on `instance` each of the `plain` fields that `changes` holds, through its cleaner if it has one."""
    for name, clean in plain.items():
        if name in changes:
            value = changes[name]
            setattr(instance, name, value if clean is None else clean(value))
