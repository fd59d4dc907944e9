"""The one place where a phone number typed by a customer becomes an M-Pesa MSISDN.

Customers type ``0712 345 678``, ``712345678``, ``+254 712-345-678``, ``00254712345678`` or
``0110 123 456``, sometimes with their phone keyboard's own digits;
Daraja wants ``2547XXXXXXXX`` or ``2541XXXXXXXX`` and answers anything else with an error
(or, worse, a prompt to the wrong phone). Normalising here, before any HTTP call, gives the
customer a readable message instead of a Daraja error code.
"""

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

# What people type in a number besides digits (of any script: phonenumbers reads them all
# as ASCII): a leading +, spaces, dashes, brackets. Anything else (letters, which
# phonenumbers would read as a keypad's, dots) makes it invalid.
_TYPED = re.compile(r"\+?[\d\s\-()]+")
_SEPARATORS = re.compile(r"[\s\-()]")
_MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
_REFUSAL = "Enter a Kenyan mobile number registered for M-Pesa, e.g. 0712 345 678 or 0110 123 456."


class InvalidPhoneNumber(ValueError):
    """The text is not a Kenyan mobile number M-Pesa can prompt. The message is for customers."""


def normalise_phone(raw: str) -> str:
    """Return ``2547XXXXXXXX`` / ``2541XXXXXXXX`` (ASCII digits) for any usual spelling of a
    Kenyan mobile number, read by ``phonenumbers`` with Kenya's numbering plan.

    Raises ``InvalidPhoneNumber`` for everything else (another country, a landline, too
    short or long, letters), so no Daraja call is made with it.
    """
    if not isinstance(raw, str) or not _TYPED.fullmatch(raw.strip()):
        raise InvalidPhoneNumber(_REFUSAL)
    compact = _SEPARATORS.sub("", raw.strip())
    if compact.startswith("00"):  # the international prefix people dial from abroad
        compact = "+" + compact[2:]
    try:
        number = phonenumbers.parse(compact, "KE")
    except NumberParseException as exc:
        raise InvalidPhoneNumber(_REFUSAL) from exc
    if (
        phonenumbers.region_code_for_number(number) != "KE"
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _MOBILE
    ):
        raise InvalidPhoneNumber(_REFUSAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164).removeprefix("+")


def mask_phone(phone: str) -> str:
    """Hide the middle of a number for logs and lists: ``254712345678`` -> ``2547****5678``."""
    digits = str(phone or "")
    if len(digits) <= 8:
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def mask_local_phone(phone: str) -> str:
    """A number as Kenyans write it, its middle hidden, for pages anyone holding a link
    may open: ``254712345678`` -> ``0712 *** 678`` (anything else fully hidden)."""
    digits = str(phone or "")
    if len(digits) == 12 and digits.startswith("254") and digits.isdigit():
        return f"0{digits[3:6]} *** {digits[9:]}"
    return "*" * len(digits)
