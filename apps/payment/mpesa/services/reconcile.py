"""Reconciliation: asking Daraja about open prompts, expiring what nobody paid for, and
the customer cancelling an order they have not paid."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from apps.common.money import ksh
from apps.payment.models import (
    OPEN_ATTEMPT_STATUSES,
    MpesaAttemptStatus,
    MpesaCallback,
    MpesaPaymentAttempt,
    OrderEmail,
)

from .. import emails, gateway
from . import common
from .callbacks import (
    _callback_settle_input,
    _unverified_success_callback,
)
from .common import (
    ORDER_CANCELLED,
    ORDER_PENDING,
    _log_extra,
    _record_event,
    order_money,
)
from .errors import OrderNotCancellable
from .refunds import refunds_reconcile
from .settle import (
    SettleInput,
    _order_move,
    attempt_settle,
)

logger = logging.getLogger(__name__)

Order = get_model("order", "Order")
OrderNote = get_model("order", "OrderNote")
EventHandler = get_class("order.processing", "EventHandler")

Status = MpesaAttemptStatus


def attempt_query_due(attempt: MpesaPaymentAttempt, now=None) -> bool:
    now = now or timezone.now()
    if attempt.status != Status.PENDING or not attempt.checkout_request_id:
        return False
    if attempt.created_at > now - timedelta(seconds=settings.MPESA_QUERY_AFTER_SECONDS):
        return False
    interval = timedelta(seconds=settings.MPESA_QUERY_INTERVAL_SECONDS)
    return attempt.last_queried_at is None or attempt.last_queried_at <= now - interval


def attempt_refresh_from_daraja(
    *, attempt: MpesaPaymentAttempt, force: bool = False, actor=None
) -> str | None:
    """Ask Daraja (STK Push Query) how an open attempt ended, and settle it from the answer.

    Throttled per attempt across all workers: a conditional update claims the query slot.
    Returns the settle result, or None when nothing was asked or nothing is known yet.
    """
    now = timezone.now()
    if not attempt.checkout_request_id:
        return None
    if not force:
        if not attempt_query_due(attempt, now):
            return None
        interval = timedelta(seconds=settings.MPESA_QUERY_INTERVAL_SECONDS)
        claimed = (
            MpesaPaymentAttempt.objects.filter(pk=attempt.pk, status=Status.PENDING)
            .filter(Q(last_queried_at__isnull=True) | Q(last_queried_at__lte=now - interval))
            .update(last_queried_at=now, query_count=F("query_count") + 1)
        )
        if not claimed:
            return None
    else:
        MpesaPaymentAttempt.objects.filter(pk=attempt.pk).update(
            last_queried_at=now, query_count=F("query_count") + 1
        )
    try:
        answer = common.daraja_client().stk_query(checkout_request_id=attempt.checkout_request_id)
    except gateway.DarajaError as exc:
        _record_event(attempt, "query_error", f"{exc.error_code or ''} {exc}".strip())
        logger.warning("STK query failed: %s", exc, extra=_log_extra(attempt))
        return None
    _record_event(attempt, "query", f"{answer.state} {answer.result_code or ''}", data=answer.raw)
    if answer.state == "pending":
        return None
    held_back = _unverified_success_callback(attempt) if answer.state == "success" else None
    if held_back is not None and held_back.checkout_request_id == attempt.checkout_request_id:
        result = attempt_settle(
            actor=actor, attempt_id=attempt.pk, outcome=_callback_settle_input(held_back)
        )
        attempt.callbacks.filter(outcome=MpesaCallback.Outcome.UNVERIFIED).update(
            outcome=MpesaCallback.Outcome.APPLIED, detail="confirmed by query"
        )
        return result
    return attempt_settle(
        actor=actor,
        attempt_id=attempt.pk,
        outcome=SettleInput(
            success=answer.state == "success",
            result_code=answer.result_code or "",
            result_desc=answer.result_desc,
            checkout_request_id=answer.checkout_request_id or None,
            via="query",
        ),
    )


@dataclass
class ReconcileReport:
    queried: int = 0
    settled: int = 0
    expired_attempts: int = 0
    cancelled_orders: int = 0
    emails_sent: int = 0
    refunds_asked: int = 0


def mpesa_reconcile(*, now=None) -> ReconcileReport:
    """Settle open attempts from Daraja, expire what nobody paid for, ask Daraja (Transaction
    Status) about refunds whose result has not come, then send the order emails still owed
    (a worker died before sending, or the mail server failed).

    Run from cron (``manage.py mpesa_reconcile``). Safe to run while callbacks arrive and
    in several processes at once: every change goes through the locked services above.
    """
    now = now or timezone.now()
    report = ReconcileReport()
    pending = MpesaPaymentAttempt.objects.filter(
        status=Status.PENDING, checkout_request_id__isnull=False
    ).order_by("created_at")
    for attempt in pending.iterator():
        if not attempt_query_due(attempt, now):
            continue
        report.queried += 1
        if attempt_refresh_from_daraja(attempt=attempt) is not None:
            report.settled += 1

    stale_before = now - timedelta(seconds=settings.MPESA_ATTEMPT_EXPIRY_SECONDS)
    for attempt_id in MpesaPaymentAttempt.objects.filter(
        status__in=OPEN_ATTEMPT_STATUSES, created_at__lt=stale_before
    ).values_list("pk", flat=True):
        if _attempt_expire(attempt_id, now):
            report.expired_attempts += 1

    unpaid_before = now - timedelta(minutes=settings.MPESA_ORDER_EXPIRY_MINUTES)
    for order_id in Order.objects.filter(
        status=ORDER_PENDING, date_placed__lt=unpaid_before
    ).values_list("pk", flat=True):
        if order_cancel_unpaid(order_id=order_id):
            report.cancelled_orders += 1

    report.refunds_asked = refunds_reconcile(now=now)
    report.emails_sent = emails.order_emails_send_due(now=now)
    return report


def _attempt_expire(attempt_id: int, now) -> bool:
    with transaction.atomic():
        attempt = MpesaPaymentAttempt.objects.select_for_update().get(pk=attempt_id)
        if not attempt.is_open:
            return False
        attempt.status = Status.EXPIRED
        attempt.settled_at = now
        attempt.save(update_fields=["status", "settled_at", "updated_at"])
        _record_event(attempt, "expired", "No answer from M-Pesa in time")
    return True


def order_cancel_unpaid(*, order_id: int) -> bool:
    """Cancel an order nobody paid for: release its stock and tell the customer."""
    with transaction.atomic():
        # The order's attempts first, then the order: the order settling takes them in.
        # Taken the other way round, a callback settling meanwhile would deadlock with us.
        list(
            MpesaPaymentAttempt.objects.select_for_update()
            .filter(order_id=order_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != ORDER_PENDING:
            return False
        open_or_paid = order.mpesa_attempts.filter(
            status__in=[*OPEN_ATTEMPT_STATUSES, Status.SUCCEEDED, Status.REVIEW]
        )
        if open_or_paid.exists():
            _part_paid_order_flag(order)
            return False
        _order_cancel(order)
        emails.order_email_queue(order_id=order.pk, kind=OrderEmail.Kind.CANCELLED)
    logger.info("Unpaid order cancelled", extra={"order_number": order.number})
    return True


def _order_cancel(order) -> None:
    """Cancel a pending order and release its stock; called with its attempts and the
    order locked, once the caller has made sure no money is on its way or recorded."""
    _order_move(order, ORDER_PENDING, ORDER_CANCELLED)  # the road settling takes
    EventHandler().cancel_stock_allocations(order)


CUSTOMER_CANCELLED_NOTE = "Cancelled by the customer from the payment page"


def order_cancel_by_customer(*, order_number: str, now=None) -> Order:
    """The customer gives up an order they have not paid for: it is cancelled and its stock
    released, like an unpaid order past its time (``order_cancel_unpaid``), at once.

    Refused (``OrderNotCancellable``, a message fit for the customer) while a prompt may
    still be on their phone (younger than ``MPESA_PROMPT_TIMEOUT_SECONDS``: their PIN could
    still pay it), or once any M-Pesa money reached the order: that needs staff, who can
    refund it. A prompt older than that is closed first, as a new prompt would close it
    (``stk_push_resend``). Returns the cancelled order.
    """
    now = now or timezone.now()
    prompt_open_since = now - timedelta(seconds=settings.MPESA_PROMPT_TIMEOUT_SECONDS)
    with transaction.atomic():
        # Attempts first, then the order: the lock order settling and expiry take.
        attempts = list(
            MpesaPaymentAttempt.objects.select_for_update()
            .filter(order_number=order_number)
            .order_by("pk")
        )
        order = Order.objects.select_for_update().filter(number=order_number).first()
        if order is None or order.status != ORDER_PENDING:
            raise OrderNotCancellable(_("This order is no longer waiting for payment."))
        money_arrived = any(
            attempt.status in (Status.SUCCEEDED, Status.REVIEW) or attempt.recorded_on_order
            for attempt in attempts
        )
        if money_arrived or order.sources.filter(amount_debited__gt=0).exists():
            raise OrderNotCancellable(
                _(
                    "M-Pesa money has already reached us for this order, so it cannot be "
                    "cancelled here. Please contact us and we will sort it out with you."
                )
            )
        open_attempts = [attempt for attempt in attempts if attempt.is_open]
        if any(attempt.created_at >= prompt_open_since for attempt in open_attempts):
            raise OrderNotCancellable(
                _(
                    "A payment prompt is still open on your phone. Decline it there, or wait "
                    "until it ends, then cancel the order."
                )
            )
        for attempt in open_attempts:
            attempt.status = Status.EXPIRED
            attempt.settled_at = now
            attempt.save(update_fields=["status", "settled_at", "updated_at"])
            _record_event(attempt, "superseded", "Customer cancelled the order")
        _order_cancel(order)
        order.notes.create(note_type=OrderNote.SYSTEM, message=CUSTOMER_CANCELLED_NOTE)
    logger.info("Order cancelled by the customer", extra={"order_number": order.number})
    return order


def _part_paid_order_flag(order) -> None:
    """An order past its time that holds part of its money is never cancelled by itself
    (the money would drop out of sight): its payments are flagged for staff, once, to refund
    them or follow the customer up. Called with the order's attempts locked."""
    if order.mpesa_attempts.filter(status__in=OPEN_ATTEMPT_STATUSES).exists():
        return  # a prompt for the balance is still on a phone
    money = order_money(order)
    if not money.is_part_paid:
        return
    reason = (
        f"Order {order.number} unpaid after {settings.MPESA_ORDER_EXPIRY_MINUTES} minutes: "
        f"paid {ksh(money.received)} of {ksh(money.due)}; refund or follow up"
    )
    for attempt in order.mpesa_attempts.filter(
        recorded_on_order=True, needs_attention=False, resolved_at__isnull=True
    ):
        attempt.needs_attention = True
        attempt.attention_reason = reason[:255]
        attempt.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
        _record_event(attempt, "balance_overdue", reason)
        logger.warning("Part-paid order overdue", extra=_log_extra(attempt))
