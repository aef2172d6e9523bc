from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.geo import Datum, LatLon, distance_m, from_wgs84, to_wgs84

# The Hebi city centre in both datums, from core/data/hebi/division_centres_sources.csv.
HEBI_WGS84 = LatLon(35.748406, 114.291383)
HEBI_GCJ02 = LatLon(35.748329, 114.297305)


def test_a_gcj02_point_converts_to_the_shipped_wgs84_centre():
    converted = to_wgs84(HEBI_GCJ02.lat, HEBI_GCJ02.lon, Datum.GCJ02)

    assert distance_m(converted, HEBI_WGS84) < 2.0


def test_the_gcj02_offset_at_hebi_is_about_536_m_east():
    shifted = from_wgs84(HEBI_WGS84.lat, HEBI_WGS84.lon, "gcj02")

    assert 500 < distance_m(shifted, HEBI_WGS84) < 570
    assert shifted.lon > HEBI_WGS84.lon


@given(
    st.floats(min_value=18.5, max_value=53.0),
    st.floats(min_value=74.0, max_value=134.0),
    st.sampled_from([Datum.GCJ02, Datum.BD09]),
)
def test_converting_out_and_back_returns_the_same_point_within_a_metre(lat, lon, datum):
    there = from_wgs84(lat, lon, datum)
    back = to_wgs84(there.lat, there.lon, datum)

    assert distance_m(back, LatLon(lat, lon)) < 1.0


def test_points_outside_mainland_china_pass_through_unchanged():
    assert to_wgs84(48.8584, 2.2945, Datum.GCJ02) == LatLon(48.8584, 2.2945)
    assert from_wgs84(-33.8568, 151.2153, Datum.BD09) == LatLon(-33.8568, 151.2153)


def test_an_unknown_datum_is_refused():
    with pytest.raises(ValueError, match="nad27"):
        to_wgs84(35.0, 114.0, "nad27")


def test_distances_are_on_the_wgs84_ellipsoid_not_a_sphere():
    # One degree of meridian arc centred on 35.75°N: 111132.954 - 559.822 cos 2φ + 1.175 cos 4φ ≈ 110,954 m
    # (a sphere of mean radius would give 111,195 m).
    assert distance_m(LatLon(35.25, 114.3), LatLon(36.25, 114.3)) == pytest.approx(110_954, abs=5)
