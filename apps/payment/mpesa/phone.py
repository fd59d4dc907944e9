"""The one place where a phone number typed by a customer becomes an M-Pesa MSISDN.

Customers type ``0712 345 678``, ``712345678``, ``+254 712 345 678`` or ``0110 123 456``;
Daraja wants ``2547XXXXXXXX`` or ``2541XXXXXXXX`` and answers anything else with an error
(or, worse, a prompt to the wrong phone). Normalising here, before any HTTP call, gives the
customer a readable message instead of a Daraja error code.
"""

import re

# Separators people type inside a number; anything else (letters, dots) makes it invalid.
_SEPARATORS = re.compile(r"[\s\-()]")
_LOCAL_PART = re.compile(r"[71]\d{8}")


class InvalidPhoneNumber(ValueError):
    """The text is not a Kenyan mobile number M-Pesa can prompt. The message is for customers."""


def normalise_phone(raw: str) -> str:
    """Return ``2547XXXXXXXX`` / ``2541XXXXXXXX`` for any usual spelling of a Kenyan mobile number.

    Raises ``InvalidPhoneNumber`` for everything else, so no Daraja call is made with it.
    """
    if not isinstance(raw, str):
        raise InvalidPhoneNumber("Enter your M-Pesa phone number, e.g. 0712 345 678.")
    compact = _SEPARATORS.sub("", raw.strip())
    if compact.startswith("+254"):
        local = compact[4:]
    elif compact.startswith("254") and len(compact) == 12:
        local = compact[3:]
    elif compact.startswith("0") and len(compact) == 10:
        local = compact[1:]
    else:
        local = compact
    if not _LOCAL_PART.fullmatch(local):
        raise InvalidPhoneNumber(
            "Enter a Kenyan mobile number registered for M-Pesa, e.g. 0712 345 678 or 0110 123 456."
        )
    return "254" + local


def mask_phone(phone: str) -> str:
    """Hide the middle of a number for logs and lists: ``254712345678`` -> ``2547****5678``."""
    digits = str(phone or "")
    if len(digits) <= 8:
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]
