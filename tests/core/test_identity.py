from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.identity import mask_id_number, mask_phone, normalize_id_number, normalize_phone
from tests.factories import valid_id_number


@pytest.mark.parametrize(
    "raw", ["13812345678", "+86 138 1234 5678", "138-1234-5678", "(+86)13812345678", "8613812345678"]
)
def test_mainland_mobile_numbers_are_normalised_to_11_digits(raw):
    assert normalize_phone(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["", "12345", "010-12345678", "+1 415 555 0100", "1381234567", "138123456789", "abc"])
def test_other_numbers_are_invalid_phones(raw):
    with pytest.raises(InvalidInput) as error:
        normalize_phone(raw)
    assert error.value.code == "invalid_phone"


def test_a_valid_id_number_passes_and_x_is_upper_cased():
    number = next(n for n in (valid_id_number(i) for i in range(200)) if n.endswith("X"))

    assert normalize_id_number(number.lower()) == number


@pytest.mark.parametrize(
    "raw",
    ["", "41062219900101123", "410622199013011234", "ABCDEFGHIJKLMNOPQR"],
)
def test_malformed_id_numbers_are_refused(raw):
    with pytest.raises(InvalidInput) as error:
        normalize_id_number(raw)
    assert error.value.code == "invalid_id_number"


@given(st.integers(min_value=0, max_value=9999))
def test_a_wrong_check_digit_is_always_refused(n):
    good = valid_id_number(n)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")

    with pytest.raises(InvalidInput):
        normalize_id_number(wrong)


def test_masks_keep_only_what_identifies_the_row():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("123X") == "**************123X"
    assert mask_id_number("") == ""


@given(st.text(max_size=40))
def test_phone_normalisation_never_crashes_on_arbitrary_text(raw):
    try:
        result = normalize_phone(raw)
    except InvalidInput:
        return
    assert len(result) == 11
    assert result.isdigit()
