"""Validating, normalising and masking phone and ID numbers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import phonenumbers
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from core.errors import InvalidInput

if TYPE_CHECKING:
    from django.utils.functional import Promise

_SEPARATORS = re.compile(r"[\s\-()]")
_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def _mainland_number(raw: str, kinds: set[int], message: Promise) -> phonenumbers.PhoneNumber:
    """`raw` parsed as a valid mainland China number of one of `kinds`, or InvalidInput(invalid_phone)."""
    cleaned = _SEPARATORS.sub("", raw or "")
    error = InvalidInput(message, code="invalid_phone", details={"field": "phone"})
    if not cleaned or len(cleaned) > 20:
        raise error
    try:
        number = phonenumbers.parse(cleaned, "CN")
    except phonenumbers.NumberParseException:
        raise error from None
    if (
        number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in kinds
    ):
        raise error
    return number


def normalize_phone(raw: str) -> str:
    """Return a mainland mobile number as 11 digits, or raise InvalidInput(invalid_phone)."""
    message = _("Not a valid mainland China mobile number.")
    national = str(_mainland_number(raw, _MOBILE_TYPES, message).national_number)
    if len(national) != 11:
        raise InvalidInput(message, code="invalid_phone", details={"field": "phone"})
    return national


def normalize_contact_phone(raw: str) -> str:
    """A contact number for a place (a venue's conference room): a mobile as 11 digits, or a mainland
    fixed line as area code and number ("0392-1234567"); else InvalidInput(invalid_phone)."""
    try:
        return normalize_phone(raw)
    except InvalidInput:
        pass
    number = _mainland_number(
        raw, {phonenumbers.PhoneNumberType.FIXED_LINE}, _("Not a valid mainland China phone number.")
    )
    area, _space, local = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL).partition(" ")
    return f"{area}-{local.replace(' ', '')}"


def normalize_id_number(raw: str) -> str:
    """Return an 18-character resident ID number (checksum verified), or raise invalid_id_number."""
    try:
        return str(ric.validate(raw or ""))
    except StdnumError:
        raise InvalidInput(
            _("Not a valid resident ID number."), code="invalid_id_number", details={"field": "id_number"}
        ) from None


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


# A login name shaped like a mainland mobile number: members' default login name is their phone.
_PHONE_LIKE = re.compile(r"1\d{10}")


def mask_username(username: str, *, phone: str | None) -> str:
    """A login name as shown where the phone is masked: masked like one when it is the person's phone.

    Members log in with their phone number unless given another name. With no person (or one
    whose phone changed since) a name shaped like a mobile number is masked all the same.
    """
    if username and (username == phone or _PHONE_LIKE.fullmatch(username)):
        return mask_phone(username)
    return username


def mask_id_number(last4: str) -> str:
    return f"{'*' * 14}{last4}" if last4 else ""
