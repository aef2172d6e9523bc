"""The soak in small (bench/soak.py; `make soak` runs the long one): nothing lost, nothing twice, flat memory.

500 phones over 2 real server processes for a minute: an alert every 10 s to
random teams of 100 phones through `POST /api/v1/alerts`, and 100 on-duty
phones reporting their location every 5 s. No timing is asserted (figures live
in docs/BENCHMARKS.md); memory only as a bound on growth once warmed up.
"""

from __future__ import annotations

import uuid

import pytest

from bench.soak import run

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(400)]


def test_a_minute_of_alerts_and_location_updates_loses_nothing_duplicates_nothing_and_keeps_memory_flat(
    redis_url, tmp_path
):
    result = run(
        phones=500,
        duration=60,
        alert_every=10,
        alert_size=100,
        movers=100,
        move_every=5,
        team_size=50,
        rss_every=5,
        settle=30,
        database_url=f"sqlite:///{tmp_path / f'soak-{uuid.uuid4().hex[:6]}.sqlite3'}",
        redis_url=redis_url,
        log_dir=tmp_path,
        say=lambda *_: None,
    )

    assert result["connected"] == 500
    assert result["alerts"] == 6
    assert result["deliveries_expected"] == 600
    assert result["lost"] == 0
    assert result["duplicated"] == 0
    assert result["seq_gaps"] == 0
    assert result["socket_closes"] == 0
    assert result["location_updates"]["failed"] == 0
    assert result["location_updates"]["ok"] >= 100 * 6
    assert result["server_errors"] == [0, 0]
    # Flat: over the second half each server grows by less than 10 % of its size (no per-alert or per-fix leak).
    for growth, size in zip(result["rss_growth_second_half_mib"], result["rss_mib_last"], strict=True):
        assert growth < 0.1 * size, result["rss_series"]
