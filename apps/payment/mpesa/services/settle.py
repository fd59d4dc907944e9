"""Settling: the one road money takes. An STK callback, an STK Push Query answer, a Paybill
confirmation and a staff action all record money on an order here, exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone
from oscar.core.loading import get_class, get_model

from apps.payment.models import (
    MpesaAttemptEvent,
    MpesaAttemptStatus,
    MpesaPaymentAttempt,
    OrderEmail,
)

from .. import emails
from .common import (
    EVENT_PAID,
    ORDER_PAID,
    ORDER_PENDING,
    SOURCE_TYPE_CODE,
    _event,
    _log_extra,
    _mpesa_sources,
    _record_event,
    _type_id,
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
    """The attempt, locked until the transaction ends, read in one query with what settling
    it needs: its order (read, not locked: ``_order_move`` locks it), the id of the order's
    M-Pesa source (``mpesa_source_id``) and whether the outcome's receipt is already on
    another payment (``receipt_taken``)."""
    mpesa_source = _mpesa_sources(OuterRef("order_id")).values("pk")[:1]
    attempts = (
        MpesaPaymentAttempt.objects.select_for_update(of=("self",))
        .select_related("order")
        # Settling never reads the push's request and response: neither decoded from
        # JSON here nor written back by the attempt's save() (which saves loaded fields).
        .defer("request_body", "response_body")
        .annotate(mpesa_source_id=Subquery(mpesa_source))
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
    attempt.amount_paid = outcome.amount_paid if outcome.amount_paid is not None else attempt.amount
    attempt.paid_phone = outcome.phone[:32]
    attempt.settled_at = timezone.now()
    if outcome.amount_paid is not None and outcome.amount_paid != attempt.amount:
        attempt.status = Status.REVIEW
        attempt.needs_attention = True
        attempt.attention_reason = (
            f"Paid KES {outcome.amount_paid}, prompted for KES {attempt.amount}"
        )
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
        events += _pay_order(attempt, order=attempt.order, source_id=attempt.mpesa_source_id)
    # One UPDATE for the outcome, the receipt and what paying the order changed.
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
            order_id=attempt.order_id,
            event_type__name=EVENT_PAID,
            reference=attempt.checkout_request_id or "",
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
    """Pay the attempt's order (``_pay_order``) and save what that changed on the attempt.

    For the roads that settle outside ``attempt_settle``: an order attached after its
    payment, a Paybill confirmation, a staff match. Called with the attempt locked.
    """
    source_id = _mpesa_sources(attempt.order_id).values_list("pk", flat=True).first()
    events = _pay_order(attempt, order=attempt.order, source_id=source_id)
    attempt.save(
        update_fields=["recorded_on_order", "needs_attention", "attention_reason", "updated_at"]
    )
    MpesaAttemptEvent.objects.bulk_create(events)


def _pay_order(attempt: MpesaPaymentAttempt, *, order, source_id: int | None) -> list:
    """Debit the order's M-Pesa source, add the "Paid" event, move the order on and owe the
    customer the confirmation email — in a fixed number of queries, whatever the lines.

    Called with the attempt locked; moving the order locks it (``_order_move``), so of two
    payments for one order exactly one records its money. Money for an order that is no
    longer waiting (already paid by another prompt, or cancelled) is kept and flagged for
    staff. Changes the attempt in memory and returns its timeline events: the caller saves
    both. ``source_id`` is the order's M-Pesa source, if it has one.
    """
    if not _order_move(order, ORDER_PENDING, ORDER_PAID):
        status = Order.objects.filter(pk=order.pk).values_list("status", flat=True).get()
        attempt.needs_attention = True
        attempt.attention_reason = (
            f"Order {order.number} was already {status.lower()}: refund or re-apply"
        )
        logger.warning("Payment for an order not waiting for one", extra=_log_extra(attempt))
        return [_event(attempt, "needs_attention", attempt.attention_reason)]

    reference = attempt.receipt_number or attempt.checkout_request_id or ""
    amount = attempt.amount_paid or attempt.amount
    _source_debit(order=order, source_id=source_id, amount=amount, reference=reference)
    event = PaymentEvent.objects.create(
        order=order,
        event_type_id=_type_id(PaymentEventType, name=EVENT_PAID),
        amount=amount,
        reference=reference,
    )
    _payment_event_covers_all_lines(event)
    emails.order_email_queue(order_id=order.pk, kind=OrderEmail.Kind.CONFIRMATION)
    attempt.recorded_on_order = True
    return [_event(attempt, "order_paid", f"Order {order.number} paid")]


def _order_move(order, old_status: str, new_status: str) -> bool:
    """Oscar's ``order.set_status``, for a change decided under a lock: the same order and
    line statuses, signal and ``OrderStatusChange`` row, in three queries however many lines.

    The order moves only if it still has ``old_status``: one conditional UPDATE, which locks
    its row until the transaction ends. Its lines follow in one UPDATE (Oscar's cascade saves
    them one by one), each only from a status that may move to the cascaded one.
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


def _source_debit(*, order, source_id: int | None, amount: Decimal, reference: str) -> None:
    """Oscar's ``source.debit`` (after ``allocate`` for an order placed without an M-Pesa
    source): the same Source amounts and Transaction rows, without reading the source."""
    if source_id is None:
        source = Source.objects.create(
            order=order,
            source_type_id=_type_id(SourceType, code=SOURCE_TYPE_CODE),
            currency=order.currency,
            amount_allocated=amount,
            amount_debited=amount,
        )
        Transaction.objects.bulk_create(
            Transaction(source=source, txn_type=txn_type, amount=amount, reference=reference)
            for txn_type in (Transaction.AUTHORISE, Transaction.DEBIT)
        )
        return
    Source.objects.filter(pk=source_id).update(amount_debited=F("amount_debited") + amount)
    Transaction.objects.create(
        source_id=source_id, txn_type=Transaction.DEBIT, amount=amount, reference=reference
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
