"""The frame vocabulary's text helpers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from realtime import protocol

_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
)


@given(
    fields=st.lists(st.text(min_size=1, max_size=8), max_size=4, unique=True),
    people=st.lists(st.integers(min_value=1, max_value=10**9), max_size=8, unique=True),
    data=st.data(),
)
def test_members_each_is_the_encoder_text_without_braces(
    fields: list[str], people: list[int], data: st.DataObject
) -> None:
    values = {pid: {name: data.draw(_values) for name in fields} for pid in people}

    members = protocol.members_each(values)

    assert members == {pid: protocol.dumps(own)[1:-1] for pid, own in values.items()}


def test_members_each_joins_onto_the_shared_object() -> None:
    members = protocol.members_each({7: {"distance_m": 812.4, "bearing_deg": None}})

    assert protocol.with_members('{"type":"x"}', members[7]) == '{"type":"x","distance_m":812.4,"bearing_deg":null}'
