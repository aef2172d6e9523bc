"""Sector membership: who belongs to which industry sector, for apps that may not import liaisons.

Sectors and their members belong to the liaisons app, but training (which may import
neither dispatch nor liaisons) must invite "the food-delivery liaisons" too. So core
holds this one seam: liaisons registers its provider in `LiaisonsConfig.ready()`, and
readers ask `sector_codes()` / `sector_members()` here. Nothing is cached: each call
reaches the provider, which reads the database, so a liaison added a second ago counts.
Without a provider (liaisons not installed) there are no sectors and nobody is in one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class SectorProvider(Protocol):
    def codes(self) -> list[str]:
        """Every known sector code, in display order."""
        ...

    def members(self, *, sectors: Sequence[str] | None, within: Sequence[str]) -> dict[int, str]:
        """person id -> sector code of active members of `sectors` (None: of every sector)
        whose home lies under one of the NBS code prefixes in `within`."""
        ...


_provider: SectorProvider | None = None


def register_sector_provider(provider: SectorProvider | None) -> None:
    """Install (or, with None, remove) the provider. Registering again replaces the previous one."""
    global _provider
    _provider = provider


def sector_provider() -> SectorProvider | None:
    return _provider


def sector_codes() -> list[str]:
    return _provider.codes() if _provider is not None else []


def sector_members(*, sectors: Sequence[str] | None, within: Sequence[str]) -> dict[int, str]:
    """person id -> sector for active members of `sectors` (None: every sector) homed under `within`."""
    if _provider is None or not within or (sectors is not None and not sectors):
        return {}
    return _provider.members(sectors=sectors, within=within)
