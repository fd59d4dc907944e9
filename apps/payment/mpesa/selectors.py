"""Read-only queries over the M-Pesa log, shared by the Django admin and the dashboard.

Writes live in ``services``; this module only reads, so the screens that show every
shilling that moved can be tested for query counts without touching payment state.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Expression,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from oscar.core.loading import get_model

from apps.payment.models import (
    MpesaAttemptEvent,
    MpesaCallback,
    MpesaPaymentAttempt,
    MpesaRefund,
)
from apps.reporting.staff_cache import staff_totals_cached

from .display import phone_shown
from .phone import InvalidPhoneNumber, mask_phone, normalise_phone

Order = get_model("order", "Order")

# Keys whose values never reach a screen or an export, whatever a stored body holds.
SECRET_KEYS = frozenset(
    {
        "password",
        "passkey",
        "securitycredential",
        "initiatorpassword",
        "access_token",
        "authorization",
        "consumer_secret",
        "consumersecret",
        "token",
    }
)
REDACTED = "***"
# Keys (and STK callback item names) whose values are the customer's phone: shown masked,
# as everywhere else a person reads a phone.
PHONE_KEYS = frozenset({"phonenumber", "partya", "msisdn"})


@dataclass(frozen=True)
class AttemptFilters:
    """What staff narrowed the log to; every field optional."""

    status: str = ""
    channel: str = ""
    is_test: bool | None = None
    needs_attention: bool | None = None
    date_from: date | None = None
    date_to: date | None = None
    query: str = ""


@dataclass(frozen=True)
class AttemptTotals:
    count: int
    amount_requested: Decimal
    amount_paid: Decimal


def refunded_total() -> Coalesce:
    """What completed refunds sent back from each payment, read in the row's own query."""
    refunds = (
        MpesaRefund.objects.filter(payment_id=OuterRef("pk"), status=MpesaRefund.Status.COMPLETED)
        .order_by()
        .values("payment_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(
        Subquery(refunds),
        Value(Decimal(0)),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )


def attempt_list(*, filters: AttemptFilters | None = None) -> QuerySet[MpesaPaymentAttempt]:
    """The transaction log, newest first, with what a list row shows joined in (and what
    was refunded from each payment)."""
    queryset = MpesaPaymentAttempt.objects.select_related("order", "user").annotate(
        refunded=refunded_total()
    )
    return attempt_filter(queryset, filters or AttemptFilters())


def refund_results(*, payment) -> QuerySet[MpesaCallback]:
    """The raw results (and status answers) Daraja sent about a payment's refunds."""
    return MpesaCallback.objects.filter(refund__payment=payment).order_by("received_at", "pk")


def refund_list() -> QuerySet[MpesaRefund]:
    """Every refund, newest first, with its payment, order and who asked for it."""
    return MpesaRefund.objects.select_related("payment", "order", "requested_by")


def attempt_filter(
    queryset: QuerySet[MpesaPaymentAttempt], filters: AttemptFilters
) -> QuerySet[MpesaPaymentAttempt]:
    queryset = queryset.filter(**_key_lookups(filters))
    # Dates are the shop's calendar days (Africa/Nairobi), as staff read them, compared
    # as the instants they start and end so that the created_at indexes answer them (the
    # first and last days of the calendar bound nothing).
    if filters.date_from and filters.date_from > date.min:
        queryset = queryset.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to and filters.date_to < date.max:
        queryset = queryset.filter(created_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.query:
        queryset = queryset.filter(attempt_search_q(filters.query))
    return queryset


def _key_lookups(filters: AttemptFilters) -> dict[str, Any]:
    """The filters on what a transaction is (not when, not a search)."""
    lookups: dict[str, Any] = {}
    if filters.status:
        lookups["status"] = filters.status
    if filters.channel:
        lookups["channel"] = filters.channel
    if filters.is_test is not None:
        lookups["is_test"] = filters.is_test
    if filters.needs_attention is not None:
        lookups["needs_attention"] = filters.needs_attention
    return lookups


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def attempt_search_q(text: str) -> Q:
    """Match a receipt, a phone (as typed: 0712 345 678 finds 254712345678), an order
    number, a CheckoutRequestID/MerchantRequestID, a Paybill account number or payer
    name, or (text with an ``@``) the customer's email.

    Every branch has an index, so a search reads only what it finds: identifiers on
    UPPER(...), order numbers (digits) on their own, phones and the payer name "contains"
    on trigrams (PostgreSQL; migrations 0010, 0011). A phone typed in any form is also
    looked up as 2547XXXXXXXX. An email is matched whole, whatever its case, on the
    transaction (a guest's), its customer's account or its order (``_email_q``).
    """
    text = text.strip()
    phones = {text}
    try:
        phones.add(normalise_phone(text))
    except InvalidPhoneNumber:
        pass
    condition = (
        Q(receipt_number__iexact=text)
        | Q(order_number=text.lstrip("#"))
        | Q(checkout_request_id__iexact=text)
        | Q(merchant_request_id__iexact=text)
        | Q(bill_ref_number__iexact=text)
        | Q(payer_name__icontains=text)
    )
    for phone in sorted(phones):
        condition |= Q(phone__icontains=phone) | Q(paid_phone__icontains=phone)
    if "@" in text:
        condition |= _email_q(text)
    return condition


def _email_q(email: str) -> Q:
    """Transactions whose customer has this email: a guest's on the transaction, the
    account's, or the order's (a Paybill payment matched to a guest's order).

    The accounts and orders with that email are found first (reading those tables: Oscar
    keeps no index on their emails' case), then the transactions by their user_id and
    order_id indexes, so the log itself is still read only where it matches.
    """
    users = get_user_model()._default_manager.filter(email__iexact=email).values("pk")
    orders = Order._default_manager.filter(guest_email__iexact=email).values("pk")
    return (
        Q(guest_email__iexact=email)
        | Q(InSubqueryOnce(F("user_id"), users))
        | Q(InSubqueryOnce(F("order_id"), orders))
    )


class InSubqueryOnce(Expression):
    """``column IN (subquery)``, written for PostgreSQL as ``column = ANY(ARRAY(subquery))``.

    Inside an OR, PostgreSQL checks ``IN (subquery)`` row by row (a hashed SubPlan over a
    sequential scan of the log); ``ARRAY(subquery)`` it computes once, and then looks its
    values up in the column's index like any other branch of the OR.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, column, queryset):
        super().__init__()
        self.column = column
        self.subquery = Subquery(queryset)

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, exprs):
        self.column, self.subquery = exprs

    def _compiled(self, compiler):
        column_sql, column_params = compiler.compile(self.column)
        subquery_sql, subquery_params = compiler.compile(self.subquery)
        return column_sql, subquery_sql, (*column_params, *subquery_params)

    def as_sql(self, compiler, connection):
        column_sql, subquery_sql, params = self._compiled(compiler)
        return f"{column_sql} IN {subquery_sql}", params

    def as_postgresql(self, compiler, connection):
        column_sql, subquery_sql, params = self._compiled(compiler)
        return f"{column_sql} = ANY(ARRAY{subquery_sql})", params


def attempt_totals(*, filters: AttemptFilters) -> AttemptTotals:
    """Count and sums of what the filters select, computed by the database in one query.

    The filters staff pick (all but a search) are kept for a few seconds
    (``apps.reporting.staff_cache``): they add up every transaction they select, tens of
    milliseconds for the whole log at 100,000, and paging through a list reads them once.
    A search reads only what it finds, through its indexes, and is counted every time.
    """
    if filters.query:
        return _attempt_totals(filters)
    return staff_totals_cached(
        f"mpesa-log:{_filters_key(filters)}", lambda: _attempt_totals(filters)
    )


def _filters_key(filters: AttemptFilters) -> str:
    """The filters (but a search) and the time zone their days are read in, as a key."""
    values = [getattr(filters, field.name) for field in fields(filters)]
    return ":".join([*map(str, values), timezone.get_current_timezone_name()])


def _attempt_totals(filters: AttemptFilters) -> AttemptTotals:
    rows = attempt_filter(MpesaPaymentAttempt.objects.order_by(), filters)
    totals = rows.aggregate(count=Count("pk"), requested=Sum("amount"), paid=Sum("amount_paid"))
    return AttemptTotals(
        count=totals["count"] or 0,
        amount_requested=totals["requested"] or Decimal("0"),
        amount_paid=totals["paid"] or Decimal("0"),
    )


def attempt_detail(*, pk: int) -> MpesaPaymentAttempt:
    """One transaction with its timeline (and who acted) and its raw callbacks."""
    return (
        MpesaPaymentAttempt.objects.select_related("order", "user", "resolved_by")
        .prefetch_related(
            Prefetch("events", queryset=MpesaAttemptEvent.objects.select_related("actor")),
            Prefetch("callbacks", queryset=MpesaCallback.objects.order_by("received_at", "pk")),
        )
        .get(pk=pk)
    )


def order_attempts(*, order) -> QuerySet[MpesaPaymentAttempt]:
    """The M-Pesa transactions of one order, oldest first (the order they happened in)."""
    return MpesaPaymentAttempt.objects.filter(order=order).order_by("created_at", "pk")


# --- CSV export --------------------------------------------------------------------------

CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "ID"),
    ("created_at", "Requested at"),
    ("settled_at", "Settled at"),
    ("channel", "Channel"),
    ("is_test", "Test"),
    ("status", "Status"),
    ("order_number", "Order number"),
    ("user__email", "Customer account"),
    ("guest_email", "Guest email"),
    ("phone", "Phone"),
    ("amount", "Amount requested"),
    ("amount_paid", "Amount paid"),
    ("refunded", "Refunded"),
    ("receipt_number", "M-Pesa receipt"),
    ("result_code", "Result code"),
    ("result_desc", "Result description"),
    ("checkout_request_id", "CheckoutRequestID"),
    ("merchant_request_id", "MerchantRequestID"),
    ("bill_ref_number", "Account number typed"),
    ("needs_attention", "Needs attention"),
    ("attention_reason", "Attention reason"),
    ("resolution_note", "Resolution note"),
)


def attempt_csv_header() -> list[str]:
    return [label for _field, label in CSV_COLUMNS]


def attempt_csv_rows(
    queryset: QuerySet[MpesaPaymentAttempt], *, chunk_size: int = 2000
) -> Iterator[list[Any]]:
    """Rows of the export, read in chunks from one cursor: the whole log never sits in
    memory, however long it is."""
    fields = [field for field, _label in CSV_COLUMNS]
    phone_at = fields.index("phone")
    rows = queryset.values_list(*fields).iterator(chunk_size=chunk_size)
    for row in rows:
        values = list(row)
        values[phone_at] = phone_shown(values[phone_at])
        yield [_csv_value(value) for value in values]


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        # The shop's clock (Africa/Nairobi), as on the screens and M-Pesa statements.
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        # A cell a spreadsheet would run as a formula (CSV injection) is kept as text.
        return "'" + value
    return value


# --- Raw bodies, secrets redacted ----------------------------------------------------------


def redact(data: Any) -> Any:
    """A copy of a JSON value with every secret-looking key's value replaced and every
    phone number masked (``"PhoneNumber": 254712345678`` and the callback's
    ``{"Name": "PhoneNumber", "Value": 254712345678}``)."""
    if isinstance(data, dict):
        if str(data.get("Name", "")).lower() in PHONE_KEYS and "Value" in data:
            return {
                **redact({k: v for k, v in data.items() if k != "Value"}),
                "Value": _masked_if_phone(data["Value"]),
            }
        return {key: _redacted_value(str(key).lower(), value) for key, value in data.items()}
    if isinstance(data, list):
        return [redact(item) for item in data]
    return data


def _redacted_value(key: str, value: Any) -> Any:
    if key in SECRET_KEYS:
        return REDACTED
    if key in PHONE_KEYS:
        return _masked_if_phone(value)
    return redact(value)


def _masked_if_phone(value: Any) -> Any:
    """A full phone number masked; anything else (a shortcode, Safaricom's own masked or
    hashed number) as it was sent."""
    try:
        return mask_phone(normalise_phone(str(value)))
    except InvalidPhoneNumber:
        return value


#: A stored body is shown to this depth and this length: Daraja's own bodies fit with room
#: to spare, and anything stored from a forged request cannot make a page fail or swell.
PRETTY_MAX_DEPTH = 12
PRETTY_MAX_CHARS = 20_000
_DEEPER = "…"


def pretty_json(data: Any) -> str:
    """A stored body for people to read: indented, secrets redacted, within
    ``PRETTY_MAX_DEPTH`` levels and ``PRETTY_MAX_CHARS`` characters; text that is not
    JSON (or nests too deep to parse) is shown as it arrived, cut to the same length."""
    if isinstance(data, str | bytes):
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return _cut(text)
    if data in ({}, [], None):
        return ""
    shown = redact(_within_depth(data, PRETTY_MAX_DEPTH))
    return _cut(json.dumps(shown, indent=2, sort_keys=False, ensure_ascii=False, default=str))


def _within_depth(data: Any, depth: int) -> Any:
    """``data`` with whatever lies deeper than ``depth`` levels replaced by "…"."""
    if not isinstance(data, dict | list):
        return data
    if depth <= 0:
        return _DEEPER
    if isinstance(data, dict):
        return {key: _within_depth(value, depth - 1) for key, value in data.items()}
    return [_within_depth(item, depth - 1) for item in data]


def _cut(text: str) -> str:
    if len(text) <= PRETTY_MAX_CHARS:
        return text
    return text[:PRETTY_MAX_CHARS] + f"\n… ({len(text) - PRETTY_MAX_CHARS:,} more characters)"


def mask_token(token: str) -> str:
    """The callback token is a secret (it proves a callback belongs to an attempt)."""
    return f"{token[:4]}…" if token else ""


def describe_customer(attempt: MpesaPaymentAttempt) -> str:
    if attempt.user_id and attempt.user is not None:
        return attempt.user.email or attempt.user.get_username()
    return attempt.guest_email or attempt.payer_name or ""
