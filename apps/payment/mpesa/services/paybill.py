"""Paybill (C2B): Daraja's validation question and confirmation of money already moved."""

from __future__ import annotations

import logging
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from oscar.core.loading import get_model

from apps.common.money import ksh
from apps.payment.models import (
    MpesaAttemptStatus,
    MpesaPaymentAttempt,
)

from ..c2b import C2BPayment
from ..rules import MIN_AMOUNT, amount_problem
from .common import (
    ORDER_PENDING,
    _log_extra,
    _record_event,
    callback_token_digest,
    order_money,
)
from .settle import (
    _record_payment_on_order,
)

logger = logging.getLogger(__name__)

Order = get_model("order", "Order")

Status = MpesaAttemptStatus


C2B_ACCEPT = "0"
C2B_INVALID_ACCOUNT = "C2B00012"
C2B_INVALID_AMOUNT = "C2B00013"
C2B_INVALID_SHORTCODE = "C2B00015"
C2B_OTHER = "C2B00016"


def _our_shortcodes() -> set[str]:
    return {code for code in (settings.MPESA_SHORTCODE, settings.MPESA_TILL_NUMBER) if code}


def c2b_validate(*, payment: C2BPayment) -> str:
    """Daraja asks before the money moves: accept a payment for an order still owed money.

    Any amount M-Pesa moves (whole shillings, KSh 1 to 250,000) is accepted: below the
    balance it is a part payment (the order keeps waiting for the rest, which can be paid
    the same way), beyond it the excess is kept and flagged for staff to refund.
    """
    if payment.business_shortcode and payment.business_shortcode not in _our_shortcodes():
        return C2B_INVALID_SHORTCODE
    order = Order.objects.filter(number=payment.account_number).first()
    if order is None or order.status != ORDER_PENDING or order_money(order).balance <= 0:
        return C2B_INVALID_ACCOUNT
    if amount_problem(payment.amount):
        return C2B_INVALID_AMOUNT
    return C2B_ACCEPT


def c2b_confirm(*, payment: C2BPayment) -> MpesaPaymentAttempt:
    """The money has moved: record it, exactly once (TransID is unique), and apply it to
    the order it names while that order waits for payment (in full, as a part payment, or
    with the excess flagged). Money for no order, or an order no longer waiting, waits in
    the staff inbox."""
    existing = MpesaPaymentAttempt.objects.filter(receipt_number=payment.trans_id).first()
    if existing is not None:
        _record_event(existing, "duplicate", f"Paybill confirmation {payment.trans_id} again")
        return existing
    now = timezone.now()
    with transaction.atomic():
        # Read, not locked: applying the money locks the order and reads its balance again.
        order = Order.objects.filter(number=payment.account_number).first()
        owed = order_money(order).balance if order is not None else Decimal(0)
        # An amount M-Pesa cannot move (cents, out of its limits) pays nothing: the raw
        # body keeps it for the record, and staff look at the statement.
        problem = amount_problem(payment.amount)
        paid = None if problem else payment.amount
        row = MpesaPaymentAttempt(
            channel=MpesaPaymentAttempt.Channel.PAYBILL,
            order_number=(payment.account_number or "-")[:128],
            order=order,
            user=order.user if order is not None else None,
            guest_email=order.guest_email if order is not None else "",
            callback_token=callback_token_digest(secrets.token_hex(32)),
            phone=payment.msisdn,
            amount=owed or paid or Decimal(MIN_AMOUNT),
            amount_paid=paid,
            status=Status.SUCCEEDED,
            result_code="0",
            result_desc=payment.trans_type[:255],
            receipt_number=payment.trans_id,
            bill_ref_number=payment.bill_ref_number,
            payer_name=payment.payer_name,
            response_body=payment.raw,
            settled_at=now,
        )
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            return MpesaPaymentAttempt.objects.get(receipt_number=payment.trans_id)
        _record_event(
            row,
            "c2b_confirmation",
            f"Paybill {ksh(paid) if paid is not None else payment.amount} "
            f"for {payment.bill_ref_number!r}",
        )
        reason = None
        if problem:
            reason = f"Paybill amount {str(payment.amount)[:40]} cannot be right: {problem}"
        elif payment.business_shortcode and payment.business_shortcode not in _our_shortcodes():
            reason = f"Paid to shortcode {payment.business_shortcode}, not the shop's"
        elif order is None:
            reason = f"Account number {payment.bill_ref_number!r} matches no order"
        elif order.status != ORDER_PENDING:
            reason = f"Order {order.number} was already {order.status.lower()}: refund or re-apply"
        if reason:
            row.status = Status.REVIEW
            row.needs_attention = True
            row.attention_reason = reason[:255]
            row.save(update_fields=["status", "needs_attention", "attention_reason", "updated_at"])
            _record_event(row, "needs_attention", reason)
            logger.warning("Paybill payment needs staff: %s", reason, extra=_log_extra(row))
        else:
            _record_payment_on_order(row)
    return row
