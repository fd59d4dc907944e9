"""Reading Daraja's STK callback bodies, which vary more than the documentation admits.

Items are read by ``Name`` (never by position), any item may be missing or valueless,
``ResultCode`` is usually a number but has been seen as a string, and ``Amount`` comes as
``1`` or ``1.00``. Anything that is not the shape of a callback raises
``CallbackParseError``; the caller keeps the raw body regardless.
"""

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any


class CallbackParseError(ValueError):
    """The body is not a Daraja STK callback."""


@dataclass(frozen=True)
class StkCallback:
    merchant_request_id: str
    checkout_request_id: str
    result_code: str
    result_desc: str
    amount: Decimal | None = None
    receipt_number: str | None = None
    transaction_date: str | None = None
    phone: str | None = None

    @property
    def is_success(self) -> bool:
        return self.result_code == "0"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise CallbackParseError(f"expected text, got {type(value).__name__}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if "\x00" in text:  # no Daraja field holds one, and PostgreSQL text cannot
        raise CallbackParseError("NUL character in a text field")
    return text


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CallbackParseError("amount is not a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise CallbackParseError("amount is not a number") from exc
    if not amount.is_finite():
        raise CallbackParseError("amount is not a number")
    return amount


def parse_stk_callback(body: bytes | str) -> StkCallback:
    try:
        data = json.loads(body)
    except (TypeError, ValueError, RecursionError) as exc:
        raise CallbackParseError("body is not JSON") from exc
    if not isinstance(data, dict):
        raise CallbackParseError("body is not a JSON object")
    inner = data.get("Body")
    callback = inner.get("stkCallback") if isinstance(inner, dict) else None
    if not isinstance(callback, dict):
        raise CallbackParseError("no Body.stkCallback object")

    checkout_request_id = _text(callback.get("CheckoutRequestID"))
    result_code = _text(callback.get("ResultCode"))
    if not checkout_request_id or not result_code:
        raise CallbackParseError("CheckoutRequestID and ResultCode are required")
    if len(checkout_request_id) > 100 or len(result_code) > 32:
        raise CallbackParseError("identifier too long")

    items: dict[str, Any] = {}
    metadata = callback.get("CallbackMetadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("Item"), list):
        for item in metadata["Item"]:
            if isinstance(item, dict) and isinstance(item.get("Name"), str):
                items[item["Name"]] = item.get("Value")

    receipt = _text(items.get("MpesaReceiptNumber")) or None
    if receipt is not None and len(receipt) > 32:
        raise CallbackParseError("receipt number too long")
    return StkCallback(
        merchant_request_id=_text(callback.get("MerchantRequestID"))[:100],
        checkout_request_id=checkout_request_id,
        result_code=result_code,
        result_desc=_text(callback.get("ResultDesc"))[:255],
        amount=_decimal(items.get("Amount")),
        receipt_number=receipt,
        transaction_date=_text(items.get("TransactionDate"))[:32] or None,
        phone=_text(items.get("PhoneNumber"))[:32] or None,
    )
