"""The books balance, checked: every shilling M-Pesa brought in is accounted for, and
Oscar's payment records agree with themselves.

Money received is every non-test M-Pesa transaction in "succeeded" or "review" with an
amount paid (STK successes, Paybill confirmations, staff-marked payments). It is applied to
an order by a Debit transaction on the order's M-Pesa source whose reference is the
payment's receipt (or its CheckoutRequestID while no receipt is known), less the Refund
transactions with that reference (money refunded from the order). Money sent back through
the shop (a completed ``MpesaRefund``: Reversal or B2C) is money out. Whatever part of a
payment is neither applied nor refunded must wait in "Needs attention" or have been
resolved by staff (e.g. refunded by hand from Safaricom's portal). So, per payment and in
total::

    received = applied + waiting + refunded + resolved

and besides: no order in the paid part of the pipeline without money covering its total
(what the shop's refunds took from it counts as covered), no receipt debited twice, each
source's amounts equal to its transactions, the refunds taken from an order equal to its
Refund transactions, no payment marked recorded without its debit, no debit without a
payment.

The check reads only, in one snapshot (on PostgreSQL a read-only REPEATABLE READ
transaction, so payments settled meanwhile cannot make a false breach), and costs the same
six queries whatever the number of orders: aggregates and joins the database runs in one
pass each, never a query per row. Breaches are handed over as they are read; the report
keeps the first few and counts them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Ceil, Coalesce
from oscar.core.loading import get_model

from apps.common.money import ksh
from apps.order.statuses import PAID_STATUSES
from apps.payment.models import MpesaAttemptStatus, MpesaPaymentAttempt, MpesaRefund

from .services.common import SOURCE_TYPE_CODE

Order = get_model("order", "Order")
Source = get_model("payment", "Source")
Transaction = get_model("payment", "Transaction")

# A transaction holds money once M-Pesa says it was paid, whether or not it went on.
MONEY_STATUSES = (MpesaAttemptStatus.SUCCEEDED, MpesaAttemptStatus.REVIEW)
ZERO = Decimal(0)
CHUNK_SIZE = 2000


class BreachKind:
    UNACCOUNTED = "unaccounted"
    OVER_APPLIED = "over_applied"
    OTHER_ORDER = "other_order"
    RECORDED_WITHOUT_DEBIT = "recorded_without_debit"
    DEBIT_NOT_RECORDED = "debit_not_recorded"
    RECEIPT_TWICE = "receipt_twice"
    DEBIT_WITHOUT_PAYMENT = "debit_without_payment"
    PAID_WITHOUT_MONEY = "paid_without_money"
    SOURCE_MISMATCH = "source_mismatch"
    REFUND_NOT_BOOKED = "refund_not_booked"


@dataclass(frozen=True)
class Breach:
    """One thing that does not balance, naming the records staff open to see it."""

    kind: str
    message: str
    amount: Decimal | None = None
    order_number: str = ""
    receipt: str = ""
    attempt_id: int | None = None


@dataclass
class AuditReport:
    """The totals of the money and what does not balance (the first ``listed`` breaches;
    ``breach_count`` counts them all)."""

    received: Decimal = ZERO
    applied: Decimal = ZERO
    waiting: Decimal = ZERO
    resolved: Decimal = ZERO
    # Sent back to customers through the shop (completed refunds).
    refunded: Decimal = ZERO
    # Received but neither applied, waiting nor resolved (a breach).
    unaccounted: Decimal = ZERO
    # Applied beyond what a payment brought (a breach).
    over_applied: Decimal = ZERO
    # Debited on M-Pesa sources with no payment behind the debit (a breach).
    debited_without_payment: Decimal = ZERO
    payments: int = 0
    # Dashboard test prompts: real money, never tied to an order, reported apart.
    test_received: Decimal = ZERO
    test_payments: int = 0
    breach_count: int = 0
    breaches: list[Breach] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.breach_count == 0

    @property
    def unlisted(self) -> int:
        return self.breach_count - len(self.breaches)


def books_audit(
    *, listed: int | None = 100, each: Callable[[Breach], None] | None = None
) -> AuditReport:
    """Check the books over all records. Read-only.

    Keeps the first ``listed`` breaches in the report (all of them with None) and hands
    every breach to ``each`` as it is read, so a caller can list thousands without holding
    them.
    """
    report = AuditReport()
    with _snapshot():
        _add_totals(report)
        for breach in _breaches():
            report.breach_count += 1
            if listed is None or len(report.breaches) < listed:
                report.breaches.append(breach)
            if each is not None:
                each(breach)
    return report


@contextmanager
def _snapshot() -> Iterator[None]:
    """Every query of the audit sees the same committed state, and none may write."""
    if connection.in_atomic_block or connection.vendor != "postgresql":
        # Inside a caller's transaction (a test's) its snapshot rules; SQLite has one writer.
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _breaches() -> Iterator[Breach]:
    yield from _payment_breaches()
    yield from _order_breaches()
    yield from _source_breaches()


# --- Money received against money applied --------------------------------------------------

_HAS_MONEY = Q(status__in=MONEY_STATUSES, amount_paid__isnull=False)


def _completed_refunds(column: str) -> Coalesce:
    """The sum of ``column`` over a payment's completed refunds (a correlated subquery)."""
    refunds = (
        MpesaRefund.objects.filter(payment_id=OuterRef("pk"), status=MpesaRefund.Status.COMPLETED)
        .order_by()
        .values("payment_id")
        .annotate(total=Sum(column))
        .values("total")
    )
    return Coalesce(
        Subquery(refunds),
        Value(ZERO),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )


def _payments() -> QuerySet:
    """Per M-Pesa payment (or transaction marked recorded on an order): what it brought,
    the reference its debits carry, what was refunded from it (all of it, and the part
    taken from its order), and whether its remainder is flagged or resolved."""
    return (
        MpesaPaymentAttempt.objects.filter(is_test=False)
        .filter(_HAS_MONEY | Q(recorded_on_order=True))
        .order_by()
        .values(
            attempt_id=F("pk"),
            attempt_order_id=F("order_id"),
            attempt_order_number=F("order_number"),
            receipt=F("receipt_number"),
            debit_key=Coalesce("receipt_number", "checkout_request_id"),
            received=Case(
                When(_HAS_MONEY, then=F("amount_paid")),
                default=Value(ZERO),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            ),
            flagged=F("needs_attention"),
            resolved=ExpressionWrapper(Q(resolved_at__isnull=False), output_field=BooleanField()),
            recorded=F("recorded_on_order"),
            refunded=_completed_refunds("amount"),
            refunded_from_order=_completed_refunds("from_order"),
        )
    )


def _debits_per_reference() -> QuerySet:
    """The Debit transactions on M-Pesa sources, less their Refund transactions, added up
    per reference (a receipt): what each payment holds applied to an order."""
    debit, refund = Q(txn_type=Transaction.DEBIT), Q(txn_type=Transaction.REFUND)
    money = DecimalField(max_digits=12, decimal_places=2)
    return (
        Transaction.objects.filter(debit | refund, source__source_type__code=SOURCE_TYPE_CODE)
        .order_by()
        .values(ref=F("reference"))
        .annotate(
            applied=Coalesce(Sum("amount", filter=debit), Value(ZERO), output_field=money)
            - Coalesce(Sum("amount", filter=refund), Value(ZERO), output_field=money),
            refund_txns=Coalesce(Sum("amount", filter=refund), Value(ZERO), output_field=money),
            debit_count=Count("pk", filter=debit),
            source_count=Count("source_id", distinct=True),
            first_order_id=Min("source__order_id"),
            last_order_id=Max("source__order_id"),
            first_order=Min("source__order__number"),
            last_order=Max("source__order__number"),
        )
    )


def _books_sql() -> tuple[str, list]:
    """Payments joined to their debits by reference, with each one's remainder.

    The join is the one thing the ORM cannot say: Oscar's Transaction.reference has no
    index, so a subquery per payment would read every debit once per payment; a full join
    of the two grouped sets is one hash join. Both sets are the querysets above, compiled.
    """
    payments_sql, payments_params = _payments().query.sql_with_params()
    debits_sql, debits_params = _debits_per_reference().query.sql_with_params()
    sql = (
        f"WITH payments AS ({payments_sql}), debits AS ({debits_sql}), "
        "books AS (SELECT payments.*, debits.*, "
        "COALESCE(payments.received, 0) - COALESCE(debits.applied, 0) "
        "- COALESCE(payments.refunded, 0) AS remainder "
        "FROM payments FULL OUTER JOIN debits ON debits.ref = payments.debit_key)"
    )
    return sql, [*payments_params, *debits_params]


def _add_totals(report: AuditReport) -> None:
    books, params = _books_sql()
    positive = "CASE WHEN remainder > 0 THEN remainder ELSE 0 END"
    sql = (
        f"{books} SELECT "
        "COUNT(attempt_id), "
        "COALESCE(SUM(received), 0), "
        "COALESCE(SUM(CASE WHEN attempt_id IS NOT NULL THEN applied END), 0), "
        f"COALESCE(SUM(CASE WHEN flagged THEN {positive} END), 0), "
        f"COALESCE(SUM(CASE WHEN resolved AND NOT flagged THEN {positive} END), 0), "
        f"COALESCE(SUM(CASE WHEN NOT flagged AND NOT resolved THEN {positive} END), 0), "
        "COALESCE(SUM(CASE WHEN remainder < 0 AND attempt_id IS NOT NULL "
        "THEN -remainder END), 0), "
        "COALESCE(SUM(CASE WHEN attempt_id IS NULL THEN applied END), 0), "
        "COALESCE(SUM(refunded), 0) "
        "FROM books"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    report.payments = row[0]
    (
        report.received,
        report.applied,
        report.waiting,
        report.resolved,
        report.unaccounted,
        report.over_applied,
        report.debited_without_payment,
        report.refunded,
    ) = (_decimal(value) for value in row[1:])
    tests = MpesaPaymentAttempt.objects.filter(_HAS_MONEY, is_test=True).aggregate(
        count=Count("pk"), total=Coalesce(Sum("amount_paid"), Value(ZERO))
    )
    report.test_payments, report.test_received = tests["count"], tests["total"]


def _decimal(value) -> Decimal:
    """A sum read by raw SQL: a Decimal from PostgreSQL, maybe a float from SQLite."""
    return ZERO if value is None else Decimal(str(value))


# Each rule is a column of the breach query, true where the row breaks it.
_PAYMENT_RULES = {
    BreachKind.DEBIT_WITHOUT_PAYMENT: "attempt_id IS NULL",
    BreachKind.RECEIPT_TWICE: "debit_count > 1 AND ref <> ''",
    BreachKind.OTHER_ORDER: (
        "attempt_id IS NOT NULL AND ref IS NOT NULL AND (attempt_order_id IS NULL "
        "OR first_order_id <> attempt_order_id OR last_order_id <> attempt_order_id)"
    ),
    BreachKind.RECORDED_WITHOUT_DEBIT: "recorded AND ref IS NULL",
    BreachKind.DEBIT_NOT_RECORDED: "attempt_id IS NOT NULL AND ref IS NOT NULL AND NOT recorded",
    BreachKind.OVER_APPLIED: "attempt_id IS NOT NULL AND remainder < 0",
    BreachKind.UNACCOUNTED: "remainder > 0 AND NOT flagged AND NOT resolved",
    BreachKind.REFUND_NOT_BOOKED: (
        "attempt_id IS NOT NULL AND COALESCE(refund_txns, 0) <> COALESCE(refunded_from_order, 0)"
    ),
}


def _payment_breaches() -> Iterator[Breach]:
    books, params = _books_sql()
    rules = ", ".join(f"({rule}) AS {kind}" for kind, rule in _PAYMENT_RULES.items())
    broken = " OR ".join(_PAYMENT_RULES)
    sql = (
        f"{books} SELECT * FROM (SELECT books.*, {rules} FROM books) AS checked "
        f"WHERE {broken} ORDER BY attempt_id, ref"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        while rows := cursor.fetchmany(CHUNK_SIZE):
            for values in rows:
                row = dict(zip(names, values, strict=True))
                for kind in _PAYMENT_RULES:
                    if row[kind]:
                        yield _payment_breach(kind, row)


def _payment_breach(kind: str, row: dict) -> Breach:
    attempt_id = row["attempt_id"]
    receipt = row["receipt"] or row["ref"] or ""
    # The order the payment is for, when it names one that exists.
    order = row["attempt_order_number"] if row["attempt_order_id"] else row["first_order"] or ""
    received, applied = _decimal(row["received"]), _decimal(row["applied"])
    remainder = _decimal(row["remainder"])
    payment = f"{receipt or 'without a receipt'} (M-Pesa transaction {attempt_id})"
    if kind == BreachKind.DEBIT_WITHOUT_PAYMENT:
        message = (
            f"{ksh(applied)} debited on order {row['first_order']} with reference "
            f"{row['ref'] or '(none)'} matches no M-Pesa payment received"
        )
        return Breach(kind, message, applied, row["first_order"], row["ref"] or "")
    if kind == BreachKind.RECEIPT_TWICE:
        if row["source_count"] > 1:
            message = (
                f"Receipt {row['ref']} is debited on {row['source_count']} orders "
                f"({row['first_order']}, {row['last_order']}): {ksh(applied)} in "
                f"{row['debit_count']} debits"
            )
        else:
            message = (
                f"Receipt {row['ref']} is debited {row['debit_count']} times on order "
                f"{row['first_order']}: {ksh(applied)}"
            )
        return Breach(kind, message, applied, row["first_order"], row["ref"], attempt_id)
    if kind == BreachKind.OTHER_ORDER:
        message = (
            f"Payment {payment} for order {row['attempt_order_number']} is debited on "
            f"order {row['first_order']}"
            + (f" and {row['last_order']}" if row["last_order"] != row["first_order"] else "")
            + f": {ksh(applied)}"
        )
        return Breach(kind, message, applied, row["first_order"], receipt, attempt_id)
    if kind == BreachKind.RECORDED_WITHOUT_DEBIT:
        message = (
            f"Payment {payment} is marked recorded on order {order} but no debit "
            f"carries its reference: {ksh(received)} not on the order"
        )
        return Breach(kind, message, received, order, receipt, attempt_id)
    if kind == BreachKind.DEBIT_NOT_RECORDED:
        message = (
            f"Payment {payment} is debited on order {row['first_order']} "
            f"({ksh(applied)}) but not marked recorded on an order"
        )
        return Breach(kind, message, applied, row["first_order"], receipt, attempt_id)
    if kind == BreachKind.REFUND_NOT_BOOKED:
        booked, taken = _decimal(row["refund_txns"]), _decimal(row["refunded_from_order"])
        message = (
            f"Payment {payment}: its refunds took {ksh(taken)} from order {order} but the "
            f"order's Refund transactions with its reference add up to {ksh(booked)}"
        )
        return Breach(kind, message, taken - booked, order, receipt, attempt_id)
    if kind == BreachKind.OVER_APPLIED:
        refunded = _decimal(row["refunded"])
        message = (
            f"Payment {payment} brought {ksh(received)} but {ksh(applied)} is debited "
            f"with its reference on order {row['first_order'] or order}"
            + (f" and {ksh(refunded)} refunded from it" if refunded else "")
            + f": {ksh(-remainder)} too much"
        )
        return Breach(kind, message, -remainder, row["first_order"] or order, receipt, attempt_id)
    meant_for = f"order {order}" if order else f"account {row['attempt_order_number']!r}"
    message = (
        f"{ksh(remainder)} of payment {payment} for {meant_for} is neither applied to an order, "
        "refunded, waiting in Needs attention nor resolved by staff"
    )
    return Breach(kind, message, remainder, order, receipt, attempt_id)


# --- Orders and sources ---------------------------------------------------------------------


def _order_breaches() -> Iterator[Breach]:
    """Orders in the paid part of the pipeline whose sources hold less than the whole
    shillings of their total (what M-Pesa was asked for). Part of a paid order refunded
    through the shop (a completed refund) still counts as having paid it; money taken off
    a source any other way does not."""
    refunded_by_shop = (
        MpesaRefund.objects.filter(order_id=OuterRef("pk"), status=MpesaRefund.Status.COMPLETED)
        .order_by()
        .values("order_id")
        .annotate(total=Sum("from_order"))
        .values("total")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    orders = (
        Order.objects.filter(status__in=PAID_STATUSES)
        .order_by()
        # Grouped by the order's key, so its total may be compared with what it holds.
        .values("pk", "number", "status", "total_incl_tax")
        .annotate(
            covered=Coalesce(
                Sum(F("sources__amount_debited") - F("sources__amount_refunded")),
                Value(ZERO),
                output_field=money,
            )
            + Coalesce(Subquery(refunded_by_shop), Value(ZERO), output_field=money),
            due=Ceil("total_incl_tax"),
        )
        .filter(covered__lt=F("due"))
        .order_by("number")
    )
    for order in orders.iterator(chunk_size=CHUNK_SIZE):
        short = Decimal(order["due"]) - order["covered"]
        yield Breach(
            BreachKind.PAID_WITHOUT_MONEY,
            f"Order {order['number']} is {order['status']} but its payments cover "
            f"{ksh(order['covered'])} of {ksh(order['due'])}: {ksh(short)} missing",
            short,
            order["number"],
        )


def _transactions_of(txn_type: str):
    return Coalesce(
        Sum("transactions__amount", filter=Q(transactions__txn_type=txn_type)),
        Value(ZERO),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )


# What a source says it holds, and the transactions that must add up to it (Oscar's
# allocate, debit and refund write both; the shop allocates when the order is placed).
_SOURCE_AMOUNTS = (
    ("amount_allocated", Transaction.AUTHORISE, "allocated"),
    ("amount_debited", Transaction.DEBIT, "debited"),
    ("amount_refunded", Transaction.REFUND, "refunded"),
)


def _source_breaches() -> Iterator[Breach]:
    sums = {f"{name}_txns": _transactions_of(txn_type) for name, txn_type, _ in _SOURCE_AMOUNTS}
    differs = Q()
    for name, _txn_type, _word in _SOURCE_AMOUNTS:
        differs |= ~Q(**{name: F(f"{name}_txns")})
    sources = (
        Source.objects.order_by()
        .annotate(**sums)
        .filter(differs)
        .values("pk", "order__number", *(name for name, _, _ in _SOURCE_AMOUNTS), *sums)
        .order_by("pk")
    )
    for source in sources.iterator(chunk_size=CHUNK_SIZE):
        for name, txn_type, word in _SOURCE_AMOUNTS:
            kept, added = source[name], source[f"{name}_txns"]
            if kept != added:
                yield Breach(
                    BreachKind.SOURCE_MISMATCH,
                    f"Order {source['order__number']}: its payment source says "
                    f"{ksh(kept)} {word}, its {txn_type} transactions add up to {ksh(added)}",
                    kept - added,
                    source["order__number"],
                )
