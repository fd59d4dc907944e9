"""Reading Daraja's result bodies for Reversal, B2C and Transaction Status, which vary.

Every one is ``{"Result": {...}}`` with ``ResultType``, ``ResultCode`` (a number or a
string: ``0``, ``2001``, ``"R000001"``), ``ResultDesc``, ``OriginatorConversationID``,
``ConversationID``, ``TransactionID`` and, on success, ``ResultParameters.ResultParameter``:
a list of ``{"Key", "Value"}`` (or a single such object), read by key, never by position,
and any of them may be missing or carry no value. The amounts are ``Amount`` (Reversal,
Transaction Status) or ``TransactionAmount`` (B2C); the receipt of a Transaction Status
answer is ``ReceiptNo``, the transaction's state ``TransactionStatus``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any


class RefundResultParseError(ValueError):
    """The body is not a Daraja result."""


# What Transaction Status says of a transaction that ended without moving money.
NOT_DONE_STATUSES = frozenset({"failed", "declined", "cancelled", "expired"})
COMPLETED_STATUS = "completed"


@dataclass(frozen=True)
class RefundResult:
    result_code: str
    result_desc: str
    originator_conversation_id: str
    conversation_id: str
    transaction_id: str
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def is_success(self) -> bool:
        return self.result_code == "0"

    @property
    def amount(self) -> Decimal | None:
        for key in ("Amount", "TransactionAmount"):
            value = self.parameters.get(key)
            if value is None or isinstance(value, bool):
                continue
            try:
                amount = Decimal(str(value).replace(",", "").strip())
            except InvalidOperation:
                return None
            return amount if amount.is_finite() else None
        return None

    @property
    def receipt(self) -> str:
        """The M-Pesa receipt of the money sent: a B2C's ``TransactionReceipt``, a status
        answer's ``ReceiptNo``, else the result's own ``TransactionID``."""
        for key in ("TransactionReceipt", "ReceiptNo"):
            value = self.parameters.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:32]
        return self.transaction_id[:32]

    @property
    def transaction_status(self) -> str:
        """A Transaction Status answer's ``TransactionStatus``, in lower case ("" if none)."""
        value = self.parameters.get("TransactionStatus")
        return value.strip().lower() if isinstance(value, str) else ""


def _text(value: Any) -> str:
    if value is None or isinstance(value, bool | dict | list):
        return ""
    return str(value).strip()


def _parameters(result: dict) -> dict[str, Any]:
    container = result.get("ResultParameters")
    items = container.get("ResultParameter") if isinstance(container, dict) else None
    if isinstance(items, dict):
        items = [items]
    found: dict[str, Any] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("Key"), str) and "Value" in item:
            found.setdefault(item["Key"], item["Value"])
    return found


def parse_refund_result(body: str | bytes) -> RefundResult:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise RefundResultParseError("not JSON") from exc
    result = data.get("Result") if isinstance(data, dict) else None
    if not isinstance(result, dict) or "ResultCode" not in result:
        raise RefundResultParseError("no Result.ResultCode")
    code = _text(result.get("ResultCode"))
    if not code:
        raise RefundResultParseError("empty ResultCode")
    return RefundResult(
        result_code=code[:32],
        result_desc=_text(result.get("ResultDesc"))[:255],
        originator_conversation_id=_text(result.get("OriginatorConversationID"))[:100],
        conversation_id=_text(result.get("ConversationID"))[:100],
        transaction_id=_text(result.get("TransactionID"))[:32],
        parameters=_parameters(result),
    )
