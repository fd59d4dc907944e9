"""Starting a payment: recording an attempt and sending its STK push (the PIN prompt)."""

from __future__ import annotations

import logging
import math
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from apps.common.money import ksh
from apps.payment.models import (
    OPEN_ATTEMPT_STATUSES,
    MpesaAttemptStatus,
    MpesaPaymentAttempt,
)

from .. import gateway
from ..phone import mask_phone
from . import common, limits
from .common import (
    ORDER_PENDING,
    _log_extra,
    _record_event,
    callback_token_digest,
    callback_url_for,
    mpesa_amount,
    order_money,
)
from .errors import (
    AttemptAlreadyOpen,
    OrderNotPayable,
    PushRefused,
    ResendTooSoon,
)
from .settle import (
    _record_payment_on_order,
)

logger = logging.getLogger(__name__)

Order = get_model("order", "Order")

Status = MpesaAttemptStatus


def stk_push_initiate(
    *,
    order_number: str,
    amount: Decimal,
    phone: str,
    user=None,
    guest_email: str = "",
    order=None,
    is_test: bool = False,
    description: str | None = None,
    requester: limits.Requester | None = None,
) -> MpesaPaymentAttempt:
    """Record an attempt, then send the STK push for it.

    With a ``requester`` (a shopper's request), the prompt takes a slot under the prompt
    limits for its phone, order, session and address in the transaction that records the
    attempt (``PromptLimitReached`` when one is used up: nothing recorded), and gives it
    back when Daraja refuses the push.

    Returns the attempt: ``PENDING`` once Daraja accepted the push, ``UNCONFIRMED`` when
    Daraja did not answer in time (the prompt may be on the phone; it is never re-sent
    automatically). Raises ``PushRefused`` when no prompt was sent and
    ``AttemptAlreadyOpen`` when another prompt for the order is still open.
    """
    order_number = str(order_number)  # Oscar generates it as an int
    charge = mpesa_amount(amount)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    # 256 bits, in hex: hex cannot spell a word Safaricom refuses in a CallBackURL (sql,
    # cmd, exe, ...), which URL-safe base64 does about once in 250 tokens.
    secret = secrets.token_hex(32)
    try:
        with transaction.atomic():
            attempt = MpesaPaymentAttempt.objects.create(
                order_number=order_number,
                order=order,
                user=user,
                guest_email=guest_email or "",
                callback_token=callback_token_digest(secret),
                phone=phone,
                amount=Decimal(charge),
                is_test=is_test,
            )
            _record_event(attempt, "created", f"Prompt for {ksh(charge)} to {mask_phone(phone)}")
            reservation = (
                limits.reserve(phone=phone, order_number=order_number, requester=requester)
                if requester is not None
                else None
            )
    except IntegrityError as exc:
        raise AttemptAlreadyOpen(
            _("A payment prompt for this order is already open. Check your phone.")
        ) from exc

    client = common.daraja_client()
    try:
        # A token first: whatever goes wrong here, no push has been sent.
        client.get_access_token()
        accepted = _send_push(client, attempt, secret, charge, order_number, description)
    except _PushOutcomeUnknown as unknown:
        # The push may have reached Daraja and the phone: keep the attempt open so a
        # late callback (its token is in the URL) can still settle it.
        _attempt_mark_unconfirmed(attempt, unknown.__cause__)
        return attempt
    except gateway.DarajaError as exc:
        _attempt_mark_refused(attempt, exc.error_code or "", exc.error_message or str(exc))
        if reservation is not None:
            reservation.release()  # no prompt went out: it counts against nothing
        raise PushRefused(_push_refusal_message(exc)) from exc
    except ValueError as exc:
        _attempt_mark_refused(attempt, "invalid", str(exc))
        if reservation is not None:
            reservation.release()
        raise PushRefused(str(exc)) from exc

    with transaction.atomic():
        attempt = MpesaPaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        attempt.merchant_request_id = accepted.merchant_request_id[:100]
        attempt.checkout_request_id = attempt.checkout_request_id or accepted.checkout_request_id
        attempt.request_body = {**accepted.request_body, "CallBackURL": callback_url_for("***")}
        attempt.response_body = accepted.raw
        if attempt.status == Status.CREATED:
            # A fast callback may already have settled it: never move a settled one back.
            attempt.status = Status.PENDING
        attempt.save()
        _record_event(attempt, "accepted", accepted.customer_message, data=accepted.raw)
    logger.info("STK push accepted", extra=_log_extra(attempt))
    return attempt


class _PushOutcomeUnknown(Exception):
    """The STK push request went out but no usable answer came back."""


def _send_push(client, attempt, secret, charge, order_number, description):
    try:
        return client.stk_push(
            phone=attempt.phone,
            amount=charge,
            account_reference=order_number[:12],
            description=(description or f"Order {order_number}")[:13],
            callback_url=callback_url_for(secret),
        )
    except (gateway.DarajaTimeout, gateway.DarajaInvalidResponse) as exc:
        raise _PushOutcomeUnknown from exc


def _push_refusal_message(exc: gateway.DarajaError) -> str:
    if isinstance(exc, gateway.DarajaConnectionError):
        return _("We could not reach M-Pesa just now. No money was taken; please try again.")
    if isinstance(exc, gateway.DarajaBusy):
        return _("M-Pesa is busy right now. No money was taken; please try again in a minute.")
    if isinstance(exc, gateway.DarajaAuthError):
        return _(
            "M-Pesa payments are unavailable at the moment. No money was taken; "
            "please try again later or pay by Paybill."
        )
    if "PhoneNumber" in (exc.error_message or ""):
        return _("M-Pesa did not accept this phone number. Check it and try again.")
    return _("M-Pesa could not send the prompt (%(reason)s). No money was taken.") % {
        "reason": exc.error_message or exc.error_code or _("unknown error")
    }


def _attempt_mark_unconfirmed(attempt: MpesaPaymentAttempt, exc: Exception) -> None:
    with transaction.atomic():
        attempt.refresh_from_db()
        if attempt.status == Status.CREATED:
            attempt.status = Status.UNCONFIRMED
            attempt.result_desc = "Daraja did not confirm the push"[:255]
            attempt.save(update_fields=["status", "result_desc", "updated_at"])
        _record_event(attempt, "unconfirmed", str(exc))
    logger.warning("STK push unconfirmed: %s", exc, extra=_log_extra(attempt))


def _attempt_mark_refused(attempt: MpesaPaymentAttempt, code: str, message: str) -> None:
    with transaction.atomic():
        attempt.status = Status.REFUSED
        attempt.result_code = code[:32]
        attempt.result_desc = message[:255]
        attempt.settled_at = timezone.now()
        attempt.save(
            update_fields=["status", "result_code", "result_desc", "settled_at", "updated_at"]
        )
        _record_event(attempt, "refused", f"{code} {message}")
    logger.warning("STK push refused: %s %s", code, message, extra=_log_extra(attempt))


def attempt_attach_order(*, attempt: MpesaPaymentAttempt, order) -> MpesaPaymentAttempt:
    """Link the attempt to the order just placed for it.

    If the customer was quicker than the order (the callback settled the attempt before
    the order row existed), the payment is recorded on the order now.
    """
    with transaction.atomic():
        attempt = MpesaPaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        attempt.order = order
        attempt.save(update_fields=["order", "updated_at"])
        if attempt.status == Status.SUCCEEDED and not attempt.recorded_on_order:
            _record_payment_on_order(attempt)
    return attempt


def attempt_flag(*, attempt: MpesaPaymentAttempt, reason: str, actor=None) -> None:
    """Mark an attempt for staff: its money (if any arrives) must not go unnoticed."""
    with transaction.atomic():
        attempt = MpesaPaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        attempt.needs_attention = True
        attempt.attention_reason = reason[:255]
        attempt.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
        _record_event(attempt, "needs_attention", reason, actor=actor)
    logger.error("Attempt flagged: %s", reason, extra=_log_extra(attempt))


def stk_push_resend(
    *, order, phone: str, requester: limits.Requester | None = None
) -> MpesaPaymentAttempt:
    """Send a new prompt for an unpaid order (the customer asked to try again), for the
    balance still owed: after a part payment, only the rest is asked for.

    Every refusal here (order settled, a prompt still open, too soon) comes before any
    prompt limit is counted."""
    balance = order_money(order).balance
    if order.status != ORDER_PENDING or balance <= 0:
        raise OrderNotPayable(_("This order is no longer waiting for payment."))
    now = timezone.now()
    prompt_timeout = timedelta(seconds=settings.MPESA_PROMPT_TIMEOUT_SECONDS)
    with transaction.atomic():
        open_attempts = list(
            MpesaPaymentAttempt.objects.select_for_update().filter(
                order_number=order.number, status__in=OPEN_ATTEMPT_STATUSES
            )
        )
        for attempt in open_attempts:
            if attempt.status == Status.UNCONFIRMED or attempt.created_at < now - prompt_timeout:
                attempt.status = Status.EXPIRED
                attempt.settled_at = now
                attempt.save(update_fields=["status", "settled_at", "updated_at"])
                _record_event(attempt, "superseded", "Customer asked for a new prompt")
            else:
                raise AttemptAlreadyOpen(
                    _("The last prompt is still open on your phone. Answer it, or wait a moment.")
                )
    spacing = settings.MPESA_RESEND_SPACING_SECONDS
    if spacing:
        last_same_phone = (
            MpesaPaymentAttempt.objects.filter(order_number=order.number, phone=phone)
            .exclude(status=Status.REFUSED)
            .order_by("-created_at")
            .first()
        )
        if last_same_phone is not None:
            elapsed = (now - last_same_phone.created_at).total_seconds()
            if elapsed < spacing:
                wait = math.ceil(spacing - elapsed)
                raise ResendTooSoon(
                    _(
                        "M-Pesa refuses a second prompt for the same amount within two "
                        "minutes. Try again in %(seconds)s seconds, or use another number."
                    )
                    % {"seconds": wait},
                    wait_seconds=wait,
                )
    return stk_push_initiate(
        order_number=order.number,
        order=order,
        amount=balance,
        phone=phone,
        user=order.user,
        guest_email=order.guest_email,
        requester=requester,
    )
