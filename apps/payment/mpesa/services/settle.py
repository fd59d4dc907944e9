"""Settling: the one road money takes. An STK callback, an STK Push Query answer, a Paybill
confirmation and a staff action all record money on an order here, exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from oscar.core.loading import get_class, get_model

from apps.common.money import ksh
from apps.payment.models import (
    MpesaAttemptEvent,
    MpesaAttemptStatus,
    MpesaPaymentAttempt,
    OrderEmail,
)

from .. import emails
from ..rules import amount_problem
from .common import (
    EVENT_PAID,
    EVENT_PART_PAYMENT,
    ORDER_PAID,
    ORDER_PENDING,
    SOURCE_TYPE_CODE,
    _event,
    _log_extra,
    _mpesa_sources,
    _record_event,
    _type_id,
    order_money_from_source,
    payment_types_ensure,
)

logger = logging.getLogger(__name__)

Order = get_model("order", "Order")
Line = get_model("order", "Line")
OrderStatusChange = get_model("order", "OrderStatusChange")
PaymentEventType = get_model("order", "PaymentEventType")
PaymentEvent = get_model("order", "PaymentEvent")
PaymentEventQuantity = get_model("order", "PaymentEventQuantity")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
Transaction = get_model("payment", "Transaction")
InvalidOrderStatus = get_class("order.exceptions", "InvalidOrderStatus")
order_status_changed = get_class("order.signals", "order_status_changed")

Status = MpesaAttemptStatus


@dataclass(frozen=True)
class SettleInput:
    success: bool
    result_code: str
    result_desc: str
    receipt_number: str | None = None
    amount_paid: Decimal | None = None
    phone: str = ""
    checkout_request_id: str | None = None
    via: str = "callback"


class SettleResult:
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    REVIEW = "review"
    MISMATCH = "mismatch"


def attempt_settle(*, attempt_id: int, outcome: SettleInput, actor=None) -> str:
    """Apply an outcome (from a callback, a query, ...) to an attempt, exactly once.

    Locks the attempt; a success records the payment on the order (locking it too).
    A success is never downgraded by a later failure, and a repeated outcome is a no-op.
    """

    def settle() -> str:
        with transaction.atomic():
            attempt = _attempt_locked(outcome=outcome, pk=attempt_id)
            if attempt is None:
                raise MpesaPaymentAttempt.DoesNotExist(f"No attempt {attempt_id}")
            result = _settle_locked(attempt, outcome, actor)
        _log_settled(attempt, outcome, result)
        return result

    return _settle_retrying(settle)


def _attempt_locked(*, outcome: SettleInput | None, **lookup) -> MpesaPaymentAttempt | None:
    """The attempt, locked until the transaction ends, read in one query with whether the
    outcome's receipt is already on another payment (``receipt_taken``). Its order is locked
    only when money is applied to it (``_order_locked``)."""
    attempts = (
        MpesaPaymentAttempt.objects.select_for_update(of=("self",))
        # Settling never reads the push's request and response: neither decoded from
        # JSON here nor written back by the attempt's save() (which saves loaded fields).
        .defer("request_body", "response_body")
        .filter(**lookup)
    )
    receipt = outcome.receipt_number if outcome is not None else None
    if receipt:
        others_with_receipt = MpesaPaymentAttempt.objects.filter(receipt_number=receipt).exclude(
            pk=OuterRef("pk")
        )
        attempts = attempts.annotate(receipt_taken=Exists(others_with_receipt))
    try:
        return attempts.get()
    except MpesaPaymentAttempt.DoesNotExist:
        return None


def _settle_retrying(settle: Callable[[], str]) -> str:
    """Run a settling transaction, and once more if the database refused it.

    Two rare cases end in an IntegrityError, and both are cured by running again from the
    lock: another payment with the same receipt was committed after this one's check (the
    re-read sees it and flags this payment instead), or a type row the payment refers to
    is missing (a test flushed the database; it is made again).
    """
    try:
        return settle()
    except IntegrityError:
        payment_types_ensure()
        return settle()


def _log_settled(attempt: MpesaPaymentAttempt, outcome: SettleInput, result: str) -> None:
    logger.info("Attempt settled via %s: %s", outcome.via, result, extra=_log_extra(attempt))


def _settle_locked(attempt: MpesaPaymentAttempt, outcome: SettleInput, actor) -> str:
    if (
        outcome.checkout_request_id
        and attempt.checkout_request_id
        and outcome.checkout_request_id != attempt.checkout_request_id
    ):
        _record_event(
            attempt,
            "mismatch",
            f"{outcome.via}: CheckoutRequestID {outcome.checkout_request_id} does not match",
            actor=actor,
        )
        logger.warning("Outcome for another CheckoutRequestID", extra=_log_extra(attempt))
        return SettleResult.MISMATCH
    if outcome.checkout_request_id and not attempt.checkout_request_id:
        attempt.checkout_request_id = outcome.checkout_request_id
    if outcome.success:
        return _settle_success(attempt, outcome, actor)
    return _settle_failure(attempt, outcome, actor)


def _settle_success(attempt: MpesaPaymentAttempt, outcome: SettleInput, actor) -> str:
    if attempt.status in (Status.SUCCEEDED, Status.REVIEW):
        if outcome.receipt_number and not attempt.receipt_number:
            _attach_receipt(attempt, outcome.receipt_number)
            return SettleResult.APPLIED
        _record_event(attempt, "duplicate", f"{outcome.via}: success already recorded", actor=actor)
        return SettleResult.DUPLICATE

    attempt.result_code = outcome.result_code[:32]
    attempt.result_desc = outcome.result_desc[:255]
    if outcome.amount_paid is None:
        attempt.amount_paid = attempt.amount  # confirmed by Daraja's query: as prompted
    elif amount_problem(outcome.amount_paid):
        attempt.amount_paid = None  # not money M-Pesa moves: the raw body keeps the claim
    else:
        attempt.amount_paid = outcome.amount_paid
    attempt.paid_phone = outcome.phone[:32]
    attempt.settled_at = timezone.now()
    if outcome.amount_paid is not None and outcome.amount_paid != attempt.amount:
        attempt.status = Status.REVIEW
        attempt.needs_attention = True
        claimed = (
            ksh(outcome.amount_paid)
            if attempt.amount_paid is not None
            else f"{str(outcome.amount_paid)[:40]}, not an amount M-Pesa moves"
        )
        attempt.attention_reason = f"Paid {claimed}, prompted for {ksh(attempt.amount)}"[:255]
        _take_receipt(attempt, outcome.receipt_number)
        attempt.save()
        _record_event(attempt, "review", attempt.attention_reason, actor=actor)
        return SettleResult.REVIEW

    attempt.status = Status.SUCCEEDED
    if not _take_receipt(attempt, outcome.receipt_number):
        attempt.save()
        _record_event(attempt, "review", attempt.attention_reason, actor=actor)
        return SettleResult.REVIEW
    events = [
        _event(
            attempt,
            "succeeded",
            f"{outcome.via}: paid, receipt {outcome.receipt_number or 'not given'}",
            actor=actor,
        )
    ]
    if attempt.order_id:
        events += _apply_money(attempt)
    # One UPDATE for the outcome, the receipt and what applying the money changed.
    attempt.save()
    MpesaAttemptEvent.objects.bulk_create(events)
    return SettleResult.APPLIED


def _take_receipt(attempt: MpesaPaymentAttempt, receipt: str | None) -> bool:
    """Put the receipt on the attempt (not saved), or flag the attempt for staff when
    another payment already carries it.

    Reads the check the lock query made (``receipt_taken``). A payment with the same receipt
    committed since then makes the save fail on the unique constraint, and the settle runs
    again (``_settle_retrying``), so no savepoint is needed around the save.
    """
    taken = bool(receipt) and getattr(attempt, "receipt_taken", None)
    if receipt and taken is None:
        taken = (
            MpesaPaymentAttempt.objects.filter(receipt_number=receipt)
            .exclude(pk=attempt.pk)
            .exists()
        )
    if taken:
        attempt.receipt_number = None
        attempt.status = Status.REVIEW
        attempt.needs_attention = True
        attempt.attention_reason = f"Receipt {receipt} is already recorded on another payment"
        return False
    attempt.receipt_number = receipt or None
    return True


def _attach_receipt(attempt: MpesaPaymentAttempt, receipt: str) -> None:
    """A success first learnt from a query (no receipt) gets its receipt from a callback."""
    took = _take_receipt(attempt, receipt)
    attempt.save()
    if not took:
        return
    if attempt.recorded_on_order:
        Transaction.objects.filter(
            source__order_id=attempt.order_id,
            source__source_type__code=SOURCE_TYPE_CODE,
            txn_type=Transaction.DEBIT,
            reference=attempt.checkout_request_id or "",
        ).update(reference=receipt)
        PaymentEvent.objects.filter(
            order_id=attempt.order_id, reference=attempt.checkout_request_id or ""
        ).update(reference=receipt)
    _record_event(attempt, "receipt", f"Receipt {receipt}")


def _settle_failure(attempt: MpesaPaymentAttempt, outcome: SettleInput, actor) -> str:
    if attempt.status in (Status.SUCCEEDED, Status.REVIEW):
        _record_event(
            attempt,
            "ignored",
            f"{outcome.via}: failure {outcome.result_code} after a recorded success",
            actor=actor,
        )
        return SettleResult.IGNORED
    if attempt.status in (Status.FAILED, Status.REFUSED):
        _record_event(attempt, "duplicate", f"{outcome.via}: failure already recorded")
        return SettleResult.DUPLICATE
    attempt.status = Status.FAILED
    attempt.result_code = outcome.result_code[:32]
    attempt.result_desc = outcome.result_desc[:255]
    attempt.settled_at = timezone.now()
    attempt.save()
    _record_event(
        attempt,
        "failed",
        f"{outcome.via}: {outcome.result_code} {outcome.result_desc}",
        actor=actor,
    )
    return SettleResult.APPLIED


def _record_payment_on_order(attempt: MpesaPaymentAttempt) -> None:
    """Apply the attempt's money to its order (``_apply_money``) and save what that changed
    on the attempt.

    For the roads that settle outside ``attempt_settle``: an order attached after its
    payment, a Paybill confirmation, a staff match. Called with the attempt locked.
    """
    events = _apply_money(attempt)
    attempt.save(
        update_fields=["recorded_on_order", "needs_attention", "attention_reason", "updated_at"]
    )
    MpesaAttemptEvent.objects.bulk_create(events)


def _order_locked(order_id: int):
    """The order and its M-Pesa source, locked until the transaction ends, in one query:
    ``(order, source or None)``.

    Every payment for one order takes this lock before it reads what the order has
    received, so of two payments for one order the second sees the first one's money.
    Locked rows are read as last committed (PostgreSQL re-reads a row it waited for), which
    a subquery's sum would not be: hence the source itself, not a total over it.
    """
    source = (
        _mpesa_sources(order_id)
        .select_for_update(of=("self", "order"))
        .select_related("order")
        .order_by("pk")
        .first()
    )
    if source is not None:
        return source.order, source
    return Order.objects.select_for_update().get(pk=order_id), None


def _apply_money(attempt: MpesaPaymentAttempt) -> list:
    """Apply the attempt's money to its order: the one road to Paid.

    Up to the balance still owed, the money is debited on the order's M-Pesa source with a
    payment event (Oscar's records, so its dashboard tells the truth). When what the order
    has received then covers what it is due, the order moves to Paid and the customer is
    owed the confirmation email; below that it is a part payment and the order keeps
    waiting for the balance. The money is always recorded before the status moves. Money
    beyond the balance, and money for an order no longer waiting (paid by another payment,
    cancelled), is kept and flagged for staff to refund or re-apply.

    Called with the attempt locked; locks the order (``_order_locked``). Changes the
    attempt in memory and returns its timeline events: the caller saves both. A fixed
    number of queries, whatever the order's lines.
    """
    order, source = _order_locked(attempt.order_id)
    paid = attempt.amount_paid if attempt.amount_paid is not None else attempt.amount
    if order.status != ORDER_PENDING:
        return [
            _flag(
                attempt,
                "needs_attention",
                f"Order {order.number} was already {order.status.lower()}: "
                f"refund or re-apply {ksh(paid)}",
            )
        ]
    money = order_money_from_source(order, source)
    applied = min(paid, money.balance)
    events = []
    if applied > 0:
        reference = attempt.receipt_number or attempt.checkout_request_id or ""
        _source_debit(
            order=order, source=source, due=money.due, amount=applied, reference=reference
        )
        received = money.received + applied
        covered = received >= money.due
        event = PaymentEvent.objects.create(
            order=order,
            event_type_id=_type_id(
                PaymentEventType, name=EVENT_PAID if covered else EVENT_PART_PAYMENT
            ),
            amount=applied,
            reference=reference,
        )
        attempt.recorded_on_order = True
        if covered:
            _payment_event_covers_all_lines(event)
            _order_move(order, ORDER_PENDING, ORDER_PAID)
            emails.order_email_queue(order_id=order.pk, kind=OrderEmail.Kind.CONFIRMATION)
            events.append(_event(attempt, "order_paid", f"Order {order.number} paid"))
        else:
            events.append(
                _event(
                    attempt,
                    "part_payment",
                    f"Order {order.number}: paid {ksh(received)} of {ksh(money.due)}, "
                    f"balance {ksh(money.due - received)}",
                )
            )
    excess = paid - applied
    if excess > 0:
        events.append(
            _flag(
                attempt,
                "overpaid",
                f"{ksh(excess)} beyond what order {order.number} is due: refund or re-apply",
            )
        )
    return events


def _flag(attempt: MpesaPaymentAttempt, kind: str, reason: str):
    """Flag the attempt for staff (in memory) and return the timeline event saying why."""
    attempt.needs_attention = True
    attempt.attention_reason = reason[:255]
    logger.warning("Payment needs staff: %s", reason, extra=_log_extra(attempt))
    return _event(attempt, kind, reason)


def _order_move(order, old_status: str, new_status: str) -> bool:
    """Oscar's ``order.set_status``, for a change decided under a lock: the same order and
    line statuses, signal and ``OrderStatusChange`` row, in three queries however many lines.

    The order moves only if it still has ``old_status``: one conditional UPDATE (which also
    locks its row until the transaction ends). Its lines follow in one UPDATE (Oscar's
    cascade saves them one by one), each only from a status that may move to the cascaded
    one. Paid is reached only through ``_apply_money``, after the money is recorded.
    """
    if new_status not in Order.pipeline.get(old_status, ()):
        raise InvalidOrderStatus(f"{old_status!r} cannot move to {new_status!r}")
    if not Order.objects.filter(pk=order.pk, status=old_status).update(status=new_status):
        return False
    order.status = new_status
    line_status = Order.cascade.get(new_status)
    if line_status:
        movable = [status for status, nexts in Line.pipeline.items() if line_status in nexts]
        Line.objects.filter(order_id=order.pk, status__in=movable).update(status=line_status)
    order_status_changed.send(
        sender=order, order=order, old_status=old_status, new_status=new_status
    )
    OrderStatusChange.objects.create(order=order, old_status=old_status, new_status=new_status)
    return True


def _source_debit(*, order, source, due: Decimal, amount: Decimal, reference: str) -> None:
    """Oscar's ``source.debit`` (after ``allocate`` of what the order is due, for an order
    placed without an M-Pesa source): the same Source amounts and Transaction rows."""
    if source is None:
        source = Source.objects.create(
            order=order,
            source_type_id=_type_id(SourceType, code=SOURCE_TYPE_CODE),
            currency=order.currency,
            amount_allocated=due,
            amount_debited=amount,
        )
        Transaction.objects.bulk_create(
            [
                Transaction(
                    source=source, txn_type=Transaction.AUTHORISE, amount=due, reference=reference
                ),
                Transaction(
                    source=source, txn_type=Transaction.DEBIT, amount=amount, reference=reference
                ),
            ]
        )
        return
    Source.objects.filter(pk=source.pk).update(amount_debited=F("amount_debited") + amount)
    Transaction.objects.create(
        source=source, txn_type=Transaction.DEBIT, amount=amount, reference=reference
    )


def _payment_event_covers_all_lines(event) -> None:
    """One PaymentEventQuantity per order line, for its whole quantity (the payment covers
    the order), copied inside the database: one query for one line or fifty. Django has no
    INSERT ... SELECT, hence the SQL, built from the models' own table and column names."""
    quote = connection.ops.quote_name
    quantity, line = PaymentEventQuantity._meta, Line._meta
    columns = ", ".join(
        quote(quantity.get_field(name).column) for name in ("event", "line", "quantity")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(quantity.db_table)} ({columns}) "
            f"SELECT %s, {quote(line.pk.column)}, {quote(line.get_field('quantity').column)} "
            f"FROM {quote(line.db_table)} WHERE {quote(line.get_field('order').column)} = %s",
            [event.pk, event.order_id],
        )
