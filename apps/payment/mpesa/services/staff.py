"""What staff do from the dashboard: check a prompt, mark paid, match, resolve, test."""

from __future__ import annotations

import logging
import re
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from apps.payment.models import (
    MpesaAttemptStatus,
    MpesaPaymentAttempt,
)

from .. import gateway
from ..c2b import normalise_account_number
from ..phone import InvalidPhoneNumber, normalise_phone
from ..rules import whole_shillings
from .common import (
    ORDER_PENDING,
    _record_event,
    order_money,
)
from .errors import (
    MpesaPaymentError,
)
from .push import (
    stk_push_initiate,
)
from .reconcile import (
    ReconcileReport,
    attempt_refresh_from_daraja,
    mpesa_reconcile,
)
from .settle import (
    SettleInput,
    SettleResult,
    _record_payment_on_order,
    attempt_settle,
)

logger = logging.getLogger(__name__)

Order = get_model("order", "Order")

Status = MpesaAttemptStatus


RECEIPT_PATTERN = re.compile(r"[A-Z0-9]{8,32}")


def staff_check_status(*, attempt: MpesaPaymentAttempt, actor) -> str | None:
    """ "Check status with M-Pesa": an STK Push Query now, whatever the throttle says."""
    if attempt.channel != MpesaPaymentAttempt.Channel.STK_PUSH:
        raise MpesaPaymentError(_("Only STK pushes can be checked with M-Pesa."))
    if not attempt.checkout_request_id:
        raise MpesaPaymentError(_("Daraja never confirmed this push, so there is nothing to ask."))
    _record_event(attempt, "staff_check", "Status check with M-Pesa requested", actor=actor)
    try:
        return attempt_refresh_from_daraja(attempt=attempt, force=True, actor=actor)
    except gateway.DarajaError as exc:
        raise MpesaPaymentError(
            _("M-Pesa could not be asked just now (%(error)s).") % {"error": exc}
        ) from exc


def mark_paid_refusal(attempt: MpesaPaymentAttempt) -> str | None:
    """Why staff may not mark this transaction paid, or None when they may."""
    if attempt.is_test or attempt.order_id is None:
        return _("This transaction has no order to pay.")
    if attempt.order.status != ORDER_PENDING:
        return _("The order is no longer waiting for payment.")
    if attempt.status in (Status.SUCCEEDED, Status.REVIEW):
        return _("This transaction already has its money recorded.")
    return None


def staff_mark_paid(
    *, attempt: MpesaPaymentAttempt, receipt_number: str, actor, note: str = ""
) -> str:
    """Staff verified the payment elsewhere (statement, SMS): record it with its receipt."""
    receipt = (receipt_number or "").strip().upper()
    if not RECEIPT_PATTERN.fullmatch(receipt):
        raise MpesaPaymentError(_("Enter the M-Pesa receipt number, e.g. NLJ7RT61SV."))
    if MpesaPaymentAttempt.objects.filter(receipt_number=receipt).exists():
        raise MpesaPaymentError(
            _("Receipt %(receipt)s is already recorded.") % {"receipt": receipt}
        )
    refusal = mark_paid_refusal(attempt)
    if refusal:
        raise MpesaPaymentError(refusal)
    result = attempt_settle(
        attempt_id=attempt.pk,
        outcome=SettleInput(
            success=True,
            result_code="0",
            result_desc=f"Marked paid by staff. {note}".strip()[:255],
            receipt_number=receipt,
            amount_paid=attempt.amount,
            via="staff",
        ),
        actor=actor,
    )
    if result != SettleResult.APPLIED:
        raise MpesaPaymentError(_("The payment could not be recorded (%(r)s).") % {"r": result})
    return result


def staff_match_payment(*, payment: MpesaPaymentAttempt, order_number: str, actor, note: str = ""):
    """Apply money that matched no order (e.g. a mistyped Paybill account) to an order still
    waiting for payment: in full, as a part payment (the order then waits for the
    balance), or up to the balance with the excess kept flagged for a refund."""
    number = normalise_account_number(order_number)
    with transaction.atomic():
        payment = MpesaPaymentAttempt.objects.select_for_update().get(pk=payment.pk)
        if payment.recorded_on_order or payment.amount_paid is None or not payment.needs_attention:
            raise MpesaPaymentError(_("This payment has nothing left to match."))
        order = Order.objects.filter(number=number).first()
        if order is None:
            raise MpesaPaymentError(_("There is no order %(number)s.") % {"number": number})
        if order.status != ORDER_PENDING:
            raise MpesaPaymentError(
                _("Order %(number)s is %(status)s, not waiting for payment.")
                % {"number": number, "status": order.status.lower()}
            )
        payment.order = order
        payment.order_number = order.number
        payment.amount = order_money(order).balance or payment.amount_paid
        payment.status = Status.SUCCEEDED
        payment.needs_attention = False
        payment.attention_reason = ""
        payment.resolved_by = actor
        payment.resolved_at = timezone.now()
        payment.resolution_note = (note or f"Matched to order {order.number}").strip()
        payment.save()
        _record_event(payment, "staff_match", f"Matched to order {order.number}", actor=actor)
        # Locks the order and applies the money against its balance as it is now.
        _record_payment_on_order(payment)


def staff_resolve(*, payment: MpesaPaymentAttempt, actor, note: str) -> None:
    """Close an inbox item with a note, e.g. "refunded from Safaricom's portal"."""
    if not (note or "").strip():
        raise MpesaPaymentError(_("Say how it was resolved, e.g. refunded from the portal."))
    with transaction.atomic():
        payment = MpesaPaymentAttempt.objects.select_for_update().get(pk=payment.pk)
        payment.needs_attention = False
        payment.resolved_by = actor
        payment.resolved_at = timezone.now()
        payment.resolution_note = note.strip()
        payment.save(
            update_fields=[
                "needs_attention",
                "resolved_by",
                "resolved_at",
                "resolution_note",
                "updated_at",
            ]
        )
        _record_event(payment, "staff_resolve", note.strip(), actor=actor)


def staff_reconcile(*, actor) -> ReconcileReport:
    report = mpesa_reconcile()
    logger.info("Reconciliation run by staff user %s: %s", getattr(actor, "pk", None), report)
    return report


def test_prompt_send(*, phone: str, amount: int, actor) -> MpesaPaymentAttempt:
    """ "Test M-Pesa setup": a small real prompt that proves credentials, shortcode and the
    public callback URL work. Logged and labelled as a test; never touches an order."""
    try:
        msisdn = normalise_phone(phone)
        shillings = whole_shillings(Decimal(amount))
    except (InvalidPhoneNumber, ValueError, ArithmeticError) as exc:
        raise MpesaPaymentError(str(exc)) from exc
    spacing = settings.MPESA_TEST_PROMPT_SPACING_SECONDS
    for key in (
        f"mpesa-test-prompt:user:{getattr(actor, 'pk', '')}",
        f"mpesa-test-prompt:{msisdn}",
    ):
        if not cache.add(key, True, timeout=spacing):
            raise MpesaPaymentError(
                _("One test prompt per %(seconds)s seconds, please.") % {"seconds": spacing}
            )
    attempt = stk_push_initiate(
        order_number=f"TEST{secrets.token_hex(4).upper()}",
        amount=Decimal(shillings),
        phone=msisdn,
        user=actor,
        is_test=True,
        description="Setup test",
    )
    _record_event(attempt, "test_prompt", "Test prompt sent from the dashboard", actor=actor)
    return attempt
