"""Withdrawn access: what a login holds open must end when its access does.

Deactivating a member ends their login at once (core.services.people): the login is made inactive and
its tokens revoked, so every new request and every new socket's hello is refused. Sockets already open
belong to `realtime`, which core may not import (docs: ../shared/STYLE.md). So core holds this one seam,
like core.sectors: realtime registers a closer in `RealtimeConfig.ready()`, and `access_withdrawn` calls
it after the commit with the logins concerned (in every server process, through realtime's live feed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction

Closer = Callable[[list[int]], None]

_closers: list[Closer] = []


def register_access_closer(closer: Closer) -> None:
    """Install a closer: called with user ids after a commit that withdrew their access. Once per closer."""
    if closer not in _closers:
        _closers.append(closer)


def access_withdrawn(*, user_ids: Iterable[int]) -> None:
    """After the current transaction commits, end what these logins hold open (a rollback ends nothing)."""
    ids = sorted(set(user_ids))
    if not ids:
        return

    def close() -> None:
        for closer in list(_closers):
            closer(ids)

    transaction.on_commit(close)
