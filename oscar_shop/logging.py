"""One JSON object per line for production logs, with the payment context and no phone numbers.

A log shipper (journald, Loki, CloudWatch, ...) reads JSON lines without a parsing rule, and a
traceback stays inside its event instead of spilling over many lines. The payment code passes
``extra={"order_number": ..., "checkout_request_id": ..., "phone": ...}``; those fields (and any
other simple extra) become keys of the line, so "everything about order 100042" is one filter.

Phone numbers are masked by the callers already; the formatter masks any Kenyan mobile number
left in a message, an extra or a traceback once more, as the last line of defence, and blanks
the secrets of the callback paths (``scrub``; gunicorn's access log uses it too).
"""

import json
import logging
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from apps.payment.mpesa.phone import mask_phone

# 254712345678, +254 712 345 678, 0712-345-678, 0110 123 456: not inside a longer run of
# digits (CheckoutRequestIDs and timestamps are long digit runs that must stay readable).
_KENYAN_MOBILE = re.compile(r"(?<![\d+])(?:\+?254|0)[ -]?([17]\d{2})[ -]?(\d{3})[ -]?(\d{3})(?!\d)")

# Secrets that travel in URL paths: the STK callback token, a refund's result tokens, the
# Paybill (C2B) path secret and the hash that opens a guest's payment page
# (/checkout/pay/<order number>/<hash>/). Django logs the path of a refused request
# ("Forbidden: /payments/stk/callback/..."), and the access logs of gunicorn and nginx would
# keep it: whoever reads a log must not learn them.
SECRET_PATH = re.compile(
    r"(/payments/(?:stk/callback|c2b|refunds)/|/checkout/pay/[^/?#\s\"']+/)[^/?#\s\"']+"
)
REDACTED = "[redacted]"

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
) | {"message", "asctime", "taskName"}

# The payment context comes first in every line that has it, in this order.
CONTEXT_FIELDS = ("order_number", "checkout_request_id", "phone")


def mask_phone_numbers(text: str) -> str:
    """Replace every Kenyan mobile number in ``text`` by its masked MSISDN (``2547****5678``)."""
    return _KENYAN_MOBILE.sub(lambda match: mask_phone("254" + "".join(match.groups())), text)


def redact_secret_paths(text: str) -> str:
    """Replace the secret segment of the shop's callback paths by ``[redacted]``."""
    return SECRET_PATH.sub(r"\1" + REDACTED, text)


def scrub(text: str) -> str:
    """What every logged text goes through: masked phone numbers, no secret paths."""
    return redact_secret_paths(mask_phone_numbers(text))


def _loggable(value: Any) -> Any:
    """A JSON-safe, phone-masked form of an extra; None for values that don't belong in a line."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, str | Decimal):
        return scrub(str(value))
    return None


class JsonLineFormatter(logging.Formatter):
    """Format a record as one line of JSON: time, level, logger, message, context, extras.

    Keys: ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``, ``message``, then
    ``order_number``, ``checkout_request_id`` and ``phone`` when the record carries them, any other
    extra of a simple type (str, int, float, bool, Decimal), and ``exception`` / ``stack`` as
    text with escaped newlines. Objects passed as extras (a request, a model) are left out.
    """

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        extras = {
            key: value for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES
        }
        for key in CONTEXT_FIELDS:
            if key in extras:
                line[key] = _loggable(extras.pop(key))
        for key, value in extras.items():
            if key.startswith("_") or key in line:
                continue
            loggable = _loggable(value)
            if loggable is not None:
                line[key] = loggable
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = scrub(record.exc_text)
        if record.stack_info:
            line["stack"] = scrub(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=True, default=str)
