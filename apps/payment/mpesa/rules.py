"""Daraja's input rules, each in one function the checkout can call before anything is sent.

Daraja checks these only partly and late (some fail in the callback minutes later), so the shop
checks them up front: whole shillings within M-Pesa's limits, the short texts shown on the
customer's phone, and callback URLs free of the words Safaricom's gateway rejects.
"""

from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

MIN_AMOUNT = 1
MAX_AMOUNT = 250_000
ACCOUNT_REFERENCE_MAX_LENGTH = 12
TRANSACTION_DESC_MAX_LENGTH = 13

# Safaricom's published rule for callback, confirmation and validation URLs: none of these
# words, in any case, anywhere in the URL. ("exe" also covers "exec".)
FORBIDDEN_CALLBACK_WORDS = ("m-pesa", "mpesa", "safaricom", "exe", "cmd", "sql", "query")


class InvalidAmount(ValueError):
    """The amount cannot be paid by STK push (fractions, not a number, outside 1–250,000)."""


class InvalidReference(ValueError):
    """AccountReference or TransactionDesc is empty or longer than Daraja allows."""


class InvalidCallbackUrl(ValueError):
    """The URL is not absolute http(s), or carries a word Safaricom's gateway refuses."""


def whole_shillings(amount: Decimal | int | str) -> int:
    """The exact whole-shilling amount Daraja is asked for.

    Floats are refused outright (their binary fractions are how money goes wrong); a Decimal
    with cents is refused rather than rounded, because the customer must be prompted for the
    amount the shop showed.
    """
    if isinstance(amount, bool) or isinstance(amount, float):
        raise InvalidAmount("The amount must be a Decimal or a whole number, never a float.")
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidAmount(f"{amount!r} is not an amount.") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise InvalidAmount("M-Pesa takes whole shillings only; this amount has cents.")
    shillings = int(value)
    if not MIN_AMOUNT <= shillings <= MAX_AMOUNT:
        raise InvalidAmount(
            f"M-Pesa can take KSh {MIN_AMOUNT:,} to KSh {MAX_AMOUNT:,} in one payment, "
            f"not KSh {shillings:,}."
        )
    return shillings


def amount_problem(amount: Decimal) -> str | None:
    """Why ``amount`` is not a sum M-Pesa moves in one payment (cents, outside KSh 1 to
    250,000), or None when it is: what a callback or a Paybill body claims is checked with
    this before it may pay anything."""
    try:
        whole_shillings(amount)
    except InvalidAmount as exc:
        return str(exc)
    return None


def check_account_reference(reference: str) -> str:
    """AccountReference is shown on the customer's phone: 1–12 characters."""
    return _short_text("AccountReference", reference, ACCOUNT_REFERENCE_MAX_LENGTH)


def check_transaction_desc(description: str) -> str:
    """TransactionDesc: 1–13 characters."""
    return _short_text("TransactionDesc", description, TRANSACTION_DESC_MAX_LENGTH)


def _short_text(field: str, value: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidReference(f"{field} must not be empty.")
    if len(value) > max_length:
        raise InvalidReference(f"{field} is {len(value)} characters; Daraja allows {max_length}.")
    return value


def forbidden_callback_words(url: str) -> list[str]:
    """The words of Safaricom's list that the URL contains (empty when it is acceptable)."""
    lowered = url.lower()
    return [word for word in FORBIDDEN_CALLBACK_WORDS if word in lowered]


def check_callback_url(url: str) -> str:
    """Refuse a callback URL Daraja would refuse or never call.

    Per-attempt tokens in the path should be hexadecimal: random URL-safe text can spell
    "sql" or "cmd" by chance, and hex digits cannot spell any of the forbidden words.
    """
    if not isinstance(url, str) or not url:
        raise InvalidCallbackUrl("A callback URL is required.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidCallbackUrl(f"Callback URL must be absolute http(s): {url!r}.")
    words = forbidden_callback_words(url)
    if words:
        raise InvalidCallbackUrl(
            f"Callback URL contains {', '.join(repr(w) for w in words)}, which Safaricom refuses."
        )
    return url
