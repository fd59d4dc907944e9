"""Reading Daraja's Paybill (C2B) validation and confirmation bodies.

Every value arrives as a string; ``MSISDN`` is masked or a SHA-256 hash nowadays, so it is
kept for the record but never used as a phone number. ``BillRefNumber`` is whatever the
customer typed as the account number: expect spaces, lower case and a leading ``#``.
"""

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


class C2BParseError(ValueError):
    """The body is not a C2B validation/confirmation."""


@dataclass(frozen=True)
class C2BPayment:
    trans_id: str
    trans_type: str
    trans_time: str
    amount: Decimal
    business_shortcode: str
    bill_ref_number: str
    msisdn: str
    payer_name: str
    raw: dict

    @property
    def account_number(self) -> str:
        return normalise_account_number(self.bill_ref_number)


def normalise_account_number(typed: str) -> str:
    """``" #100042 "`` → ``"100042"``; letters upper-cased, spaces and dashes dropped."""
    return re.sub(r"[\s\-]", "", typed or "").lstrip("#").upper()


def _text(data: dict, key: str, limit: int) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise C2BParseError(f"{key} is not text")
    text = str(value).strip()
    if "\x00" in text:  # no Daraja field holds one, and PostgreSQL text cannot
        raise C2BParseError(f"{key} holds a NUL character")
    return text[:limit]


def parse_c2b(body: bytes | str) -> C2BPayment:
    try:
        data = json.loads(body)
    except (TypeError, ValueError, RecursionError) as exc:
        raise C2BParseError("body is not JSON") from exc
    if not isinstance(data, dict):
        raise C2BParseError("body is not a JSON object")
    if "\\u0000" in json.dumps(data):  # kept as JSON, which PostgreSQL refuses with a NUL
        raise C2BParseError("body holds a NUL character")
    trans_id = _text(data, "TransID", 32)
    if not re.fullmatch(r"[A-Za-z0-9]{6,32}", trans_id):
        raise C2BParseError("TransID is missing or malformed")
    try:
        amount = Decimal(_text(data, "TransAmount", 32))
    except InvalidOperation as exc:
        raise C2BParseError("TransAmount is not a number") from exc
    if not amount.is_finite() or amount <= 0:
        raise C2BParseError("TransAmount must be positive")
    names = (_text(data, key, 40) for key in ("FirstName", "MiddleName", "LastName"))
    return C2BPayment(
        trans_id=trans_id.upper(),
        trans_type=_text(data, "TransactionType", 32),
        trans_time=_text(data, "TransTime", 32),
        amount=amount,
        business_shortcode=_text(data, "BusinessShortCode", 16),
        bill_ref_number=_text(data, "BillRefNumber", 64),
        msisdn=_text(data, "MSISDN", 64),
        payer_name=" ".join(name for name in names if name)[:128],
        raw=data,
    )
