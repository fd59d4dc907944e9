"""The only code that changes M-Pesa payment state.

Every road money takes — an STK callback, an STK Push Query answer, and later a Paybill
confirmation or a staff "mark paid" — ends in :func:`attempt_settle`, which locks the
attempt (and the order) and records the payment on Oscar's own models exactly once.

Calls to Daraja happen outside database transactions: an attempt is committed before its
prompt is sent, so a callback that arrives before the push's answer still finds it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from apps.payment.models import (
    OPEN_ATTEMPT_STATUSES,
    MpesaAttemptEvent,
    MpesaAttemptStatus,
    MpesaCallback,
    MpesaPaymentAttempt,
    OrderEmail,
)

from . import emails, gateway
from .c2b import C2BPayment, normalise_account_number
from .callbacks import CallbackParseError, StkCallback, parse_stk_callback
from .phone import InvalidPhoneNumber, mask_phone, normalise_phone
from .rules import whole_shillings

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
EventHandler = get_class("order.processing", "EventHandler")
InvalidOrderStatus = get_class("order.exceptions", "InvalidOrderStatus")
order_status_changed = get_class("order.signals", "order_status_changed")

Status = MpesaAttemptStatus

SOURCE_TYPE_CODE = "mpesa"
SOURCE_TYPE_NAME = "M-Pesa"
EVENT_PROMPT_SENT = "M-Pesa prompt sent"
EVENT_PAID = "Paid"
ORDER_PENDING = "Pending payment"
ORDER_PAID = "Paid"
ORDER_CANCELLED = "Cancelled"


class MpesaPaymentError(Exception):
    """A payment could not be started; ``str(error)`` is fit to show the customer."""


class PushRefused(MpesaPaymentError):
    """Daraja did not accept the push (or it could not be reached): no prompt was sent."""


class AttemptAlreadyOpen(MpesaPaymentError):
    """Another prompt for this order is still open."""


class ResendTooSoon(MpesaPaymentError):
    def __init__(self, message: str, wait_seconds: int):
        super().__init__(message)
        self.wait_seconds = wait_seconds


class OrderNotPayable(MpesaPaymentError):
    """The order is no longer waiting for payment."""


# --- Helpers ------------------------------------------------------------------------


def daraja_client() -> gateway.DarajaClient:
    return gateway.DarajaClient.from_settings()


def mpesa_amount(total: Decimal) -> int:
    """Whole shillings the phone is prompted for: the total rounded up to a shilling.

    M-Pesa moves whole shillings only; the one place that turns a price into them.
    """
    return whole_shillings(Decimal(math.ceil(Decimal(total))))


def callback_token_digest(token: str) -> str:
    """What the database keeps of a callback token: its SHA-256, never the token itself.

    Callbacks are looked up by this digest, so neither the stored rows nor the timing of
    the lookup tell anything about a valid token.
    """
    return hashlib.sha256(token.encode("utf-8", errors="replace")).hexdigest()


def callback_url_for(token: str) -> str:
    base = settings.MPESA_CALLBACK_BASE_URL.rstrip("/")
    return base + reverse("mpesa-stk-callback", kwargs={"token": token})


def _event(
    attempt: MpesaPaymentAttempt, kind: str, message: str = "", data=None, actor=None
) -> MpesaAttemptEvent:
    """A timeline event, not saved yet (several are written with one INSERT)."""
    return MpesaAttemptEvent(
        attempt=attempt, kind=kind, message=message[:255], data=data or {}, actor=actor
    )


def _record_event(
    attempt: MpesaPaymentAttempt, kind: str, message: str = "", data=None, actor=None
) -> None:
    _event(attempt, kind, message, data, actor).save()


def _log_extra(attempt: MpesaPaymentAttempt) -> dict:
    return {
        "order_number": attempt.order_number,
        "checkout_request_id": attempt.checkout_request_id or "",
        "phone": mask_phone(attempt.phone),
    }


def _mpesa_source_type():
    source_type, _created = SourceType.objects.get_or_create(
        code=SOURCE_TYPE_CODE, defaults={"name": SOURCE_TYPE_NAME}
    )
    return source_type


def payment_event_type(name: str):
    event_type, _created = PaymentEventType.objects.get_or_create(name=name)
    return event_type


def _mpesa_sources(order_id):
    """The order's M-Pesa payment source (one at most), as a queryset; ``order_id`` may be
    an ``OuterRef``."""
    return Source.objects.filter(order_id=order_id, source_type__code=SOURCE_TYPE_CODE)


def _type_id(model, **lookup) -> Subquery:
    """The id of a type row (the M-Pesa source type, the "Paid" event type), read by the
    INSERT that refers to it rather than by a query of its own.

    ``payment_types_ensure`` makes the rows; were one missing, the INSERT fails on its NOT
    NULL column and the settle makes it and runs again (``_settle_retrying``).
    """
    return Subquery(model.objects.filter(**lookup).values("pk")[:1])


def payment_types_ensure(**kwargs) -> None:
    """The type rows every payment refers to exist: made after ``migrate`` (and after each
    flush of a test database), outside any payment's transaction."""
    _mpesa_source_type()
    payment_event_type(EVENT_PAID)


def new_unplaced_order_source(*, currency: str, amount: Decimal, reference: str = ""):
    """An unsaved Source for an order about to be placed, with the amount allocated."""
    source = Source(source_type=_mpesa_source_type(), currency=currency, reference=reference)
    source.amount_allocated = amount
    source.create_deferred_transaction(Transaction.AUTHORISE, amount, reference)
    return source


# --- Starting a payment ---------------------------------------------------------------


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
) -> MpesaPaymentAttempt:
    """Record an attempt, then send the STK push for it.

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
            _record_event(attempt, "created", f"Prompt for KES {charge} to {mask_phone(phone)}")
    except IntegrityError as exc:
        raise AttemptAlreadyOpen(
            _("A payment prompt for this order is already open. Check your phone.")
        ) from exc

    client = daraja_client()
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
        raise PushRefused(_push_refusal_message(exc)) from exc
    except ValueError as exc:
        _attempt_mark_refused(attempt, "invalid", str(exc))
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


def stk_push_resend(*, order, phone: str) -> MpesaPaymentAttempt:
    """Send a new prompt for an unpaid order (the customer asked to try again)."""
    if order.status != ORDER_PENDING:
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
        amount=amount_due(order),
        phone=phone,
        user=order.user,
        guest_email=order.guest_email,
    )


# --- Settling: the one road money takes ------------------------------------------------


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


# --- Callbacks --------------------------------------------------------------------------


def stk_callback_store(*, token: str, body: bytes, remote_addr: str | None) -> MpesaCallback:
    """Keep the raw body before anything else can go wrong. Bytes that are not UTF-8 are
    kept as U+FFFD; a NUL (which PostgreSQL text cannot hold) as the six characters of its
    JSON escape, which the parser refuses as it would have refused the NUL."""
    return MpesaCallback.objects.create(
        token=callback_token_digest(token),
        body=body.decode("utf-8", errors="replace").replace("\x00", "\\u0000"),
        remote_addr=remote_addr or None,
    )


def _callback_settle_input(parsed: StkCallback) -> SettleInput:
    return SettleInput(
        success=parsed.is_success,
        result_code=parsed.result_code,
        result_desc=parsed.result_desc,
        receipt_number=parsed.receipt_number,
        amount_paid=parsed.amount,
        phone=parsed.phone or "",
        checkout_request_id=parsed.checkout_request_id,
        via="callback",
    )


CALLBACK_OUTCOMES = {
    SettleResult.APPLIED: MpesaCallback.Outcome.APPLIED,
    SettleResult.REVIEW: MpesaCallback.Outcome.APPLIED,
    SettleResult.DUPLICATE: MpesaCallback.Outcome.DUPLICATE,
    SettleResult.IGNORED: MpesaCallback.Outcome.IGNORED,
    SettleResult.MISMATCH: MpesaCallback.Outcome.REJECTED,
}


def stk_callback_process(*, callback: MpesaCallback) -> str:
    """Apply a stored callback to its attempt. Returns the callback's outcome.

    One transaction finds the attempt by its token and locks it, settles it and writes the
    callback's outcome (the body itself was committed before, on its own).
    """
    try:
        parsed: StkCallback = parse_stk_callback(callback.body)
    except CallbackParseError as exc:
        return _callback_reject_unreadable(callback, str(exc))
    if parsed.is_success and settings.MPESA_VERIFY_BEFORE_FULFIL:
        held_back = _callback_verify(callback, parsed)
        if held_back is not None:
            return held_back
    outcome = _callback_settle_input(parsed)

    def settle() -> str:
        with transaction.atomic():
            attempt = _attempt_locked(outcome=outcome, callback_token=callback.token)
            if attempt is None or not constant_time_compare(attempt.callback_token, callback.token):
                return _callback_outcome(callback, MpesaCallback.Outcome.REJECTED, "unknown token")
            callback.attempt_id = attempt.pk
            result = _settle_locked(attempt, outcome, actor=None)
            _callback_outcome(callback, CALLBACK_OUTCOMES[result], result)
        _log_settled(attempt, outcome, result)
        return callback.outcome

    return _settle_retrying(settle)


def _attempt_for_token(token: str) -> MpesaPaymentAttempt | None:
    """The attempt a callback token belongs to, read without a lock."""
    attempt = (
        MpesaPaymentAttempt.objects.filter(callback_token=token)
        .only("pk", "callback_token", "checkout_request_id", "status")
        .first()
    )
    if attempt is None or not constant_time_compare(attempt.callback_token, token):
        return None
    return attempt


def _callback_reject_unreadable(callback: MpesaCallback, error: str) -> str:
    attempt = _attempt_for_token(callback.token)
    if attempt is None:
        return _callback_outcome(callback, MpesaCallback.Outcome.REJECTED, "unknown token")
    callback.attempt_id = attempt.pk
    return _callback_outcome(callback, MpesaCallback.Outcome.REJECTED, error)


def _callback_verify(callback: MpesaCallback, parsed: StkCallback) -> str | None:
    """ "Verify before fulfil": ask Daraja before a success callback may pay an open attempt.

    Returns the callback's outcome when it must not be applied now, None when it may (the
    query confirmed it, or there is nothing to verify: a duplicate, a mismatch). Runs before
    the attempt is locked: no lock is held while Daraja answers.
    """
    attempt = _attempt_for_token(callback.token)
    if attempt is None:
        return _callback_outcome(callback, MpesaCallback.Outcome.REJECTED, "unknown token")
    same_request = attempt.checkout_request_id in (None, "", parsed.checkout_request_id)
    if not same_request or attempt.status in (Status.SUCCEEDED, Status.REVIEW):
        return None
    callback.attempt_id = attempt.pk
    verdict = _verify_success_with_daraja(attempt.pk, parsed.checkout_request_id)
    if verdict is None:
        # Daraja cannot confirm yet: the callback waits, reconciliation applies it.
        return _callback_outcome(
            callback, MpesaCallback.Outcome.UNVERIFIED, "awaiting confirmation by query"
        )
    if verdict != "success":
        attempt_flag(
            attempt=attempt, reason="A success callback that Daraja's query does not confirm"
        )
        return _callback_outcome(callback, MpesaCallback.Outcome.REJECTED, f"query says {verdict}")
    return None


def _verify_success_with_daraja(attempt_id: int, checkout_request_id: str) -> str | None:
    """ "Verify before fulfil": Daraja's own word on a success callback, or None if unknown."""
    try:
        answer = daraja_client().stk_query(checkout_request_id=checkout_request_id)
    except gateway.DarajaError as exc:
        logger.warning("Could not verify a success callback: %s", exc)
        return None
    MpesaAttemptEvent.objects.create(
        attempt_id=attempt_id,
        kind="verify",
        message=f"query {answer.state} {answer.result_code or ''}"[:255],
        data=answer.raw,
    )
    if answer.state == "pending":
        return None
    return str(answer.state)


def _unverified_success_callback(attempt: MpesaPaymentAttempt) -> StkCallback | None:
    """A success callback kept back for verification, now that Daraja has confirmed it."""
    for body in attempt.callbacks.filter(outcome=MpesaCallback.Outcome.UNVERIFIED).values_list(
        "body", flat=True
    ):
        try:
            parsed = parse_stk_callback(body)
        except CallbackParseError:
            continue
        if parsed.is_success:
            return parsed
    return None


def _callback_outcome(callback: MpesaCallback, outcome: str, detail: str) -> str:
    callback.outcome = outcome
    callback.detail = detail[:255]
    callback.save(update_fields=["attempt", "outcome", "detail"])
    return outcome


# --- Queries and reconciliation ----------------------------------------------------------


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
        answer = daraja_client().stk_query(checkout_request_id=attempt.checkout_request_id)
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


def mpesa_reconcile(*, now=None) -> ReconcileReport:
    """Settle open attempts from Daraja, expire what nobody paid for, then send the order
    emails still owed (a worker died before sending, or the mail server failed).

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
            return False
        _order_move(order, ORDER_PENDING, ORDER_CANCELLED)  # the road settling takes
        EventHandler().cancel_stock_allocations(order)
        emails.order_email_queue(order_id=order.pk, kind=OrderEmail.Kind.CANCELLED)
    logger.info("Unpaid order cancelled", extra={"order_number": order.number})
    return True


# --- Paybill (C2B) -------------------------------------------------------------------------


def amount_due(order) -> Decimal:
    """Whole shillings still owed on an order: what its M-Pesa prompt asked for."""
    source = _mpesa_sources(order.pk).first()
    if source is not None and source.amount_allocated:
        return source.amount_allocated
    return Decimal(mpesa_amount(order.total_incl_tax))


C2B_ACCEPT = "0"
C2B_INVALID_ACCOUNT = "C2B00012"
C2B_INVALID_AMOUNT = "C2B00013"
C2B_INVALID_SHORTCODE = "C2B00015"
C2B_OTHER = "C2B00016"


def _our_shortcodes() -> set[str]:
    return {code for code in (settings.MPESA_SHORTCODE, settings.MPESA_TILL_NUMBER) if code}


def c2b_validate(*, payment: C2BPayment) -> str:
    """Daraja asks before the money moves: accept only a payment for an unpaid order."""
    if payment.business_shortcode and payment.business_shortcode not in _our_shortcodes():
        return C2B_INVALID_SHORTCODE
    order = Order.objects.filter(number=payment.account_number).first()
    if order is None or order.status != ORDER_PENDING:
        return C2B_INVALID_ACCOUNT
    if payment.amount < amount_due(order):
        return C2B_INVALID_AMOUNT
    return C2B_ACCEPT


def c2b_confirm(*, payment: C2BPayment) -> MpesaPaymentAttempt:
    """The money has moved: record it, exactly once (TransID is unique), and pay the order
    it names when it matches exactly. Anything else waits in the staff inbox."""
    existing = MpesaPaymentAttempt.objects.filter(receipt_number=payment.trans_id).first()
    if existing is not None:
        _record_event(existing, "duplicate", f"Paybill confirmation {payment.trans_id} again")
        return existing
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(number=payment.account_number).first()
        due = amount_due(order) if order is not None else payment.amount
        row = MpesaPaymentAttempt(
            channel=MpesaPaymentAttempt.Channel.PAYBILL,
            order_number=(payment.account_number or "-")[:128],
            order=order,
            user=order.user if order is not None else None,
            guest_email=order.guest_email if order is not None else "",
            callback_token=callback_token_digest(secrets.token_hex(32)),
            phone=payment.msisdn,
            amount=due,
            amount_paid=payment.amount,
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
            row, "c2b_confirmation", f"Paybill KES {payment.amount} for {payment.bill_ref_number!r}"
        )
        reason = None
        if payment.business_shortcode and payment.business_shortcode not in _our_shortcodes():
            reason = f"Paid to shortcode {payment.business_shortcode}, not the shop's"
        elif order is None:
            reason = f"Account number {payment.bill_ref_number!r} matches no order"
        elif order.status != ORDER_PENDING:
            reason = f"Order {order.number} was already {order.status.lower()}: refund or re-apply"
        elif payment.amount != due:
            reason = f"Paid KES {payment.amount}, order {order.number} is due KES {due}"
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


# --- Staff actions ---------------------------------------------------------------------------


RECEIPT_PATTERN = re.compile(r"[A-Z0-9]{8,32}")


def staff_check_status(*, attempt: MpesaPaymentAttempt, actor) -> str | None:
    """ "Check status with M-Pesa": an STK Push Query now, whatever the throttle says."""
    if attempt.channel != MpesaPaymentAttempt.Channel.STK_PUSH:
        raise MpesaPaymentError(_("Only STK pushes can be checked with M-Pesa."))
    if not attempt.checkout_request_id:
        raise MpesaPaymentError(_("Daraja never confirmed this push, so there is nothing to ask."))
    _record_event(attempt, "staff_check", "Status check with M-Pesa requested", actor=actor)
    return attempt_refresh_from_daraja(attempt=attempt, force=True, actor=actor)


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
    """Apply money that matched no order (e.g. a mistyped Paybill account) to an order."""
    number = normalise_account_number(order_number)
    with transaction.atomic():
        payment = MpesaPaymentAttempt.objects.select_for_update().get(pk=payment.pk)
        if payment.recorded_on_order or payment.amount_paid is None or not payment.needs_attention:
            raise MpesaPaymentError(_("This payment has nothing left to match."))
        order = Order.objects.select_for_update().filter(number=number).first()
        if order is None:
            raise MpesaPaymentError(_("There is no order %(number)s.") % {"number": number})
        if order.status != ORDER_PENDING:
            raise MpesaPaymentError(
                _("Order %(number)s is %(status)s, not waiting for payment.")
                % {"number": number, "status": order.status.lower()}
            )
        due = amount_due(order)
        if payment.amount_paid != due:
            raise MpesaPaymentError(
                _("This payment is KES %(paid)s but order %(number)s is due KES %(due)s.")
                % {"paid": payment.amount_paid, "number": number, "due": due}
            )
        payment.order = order
        payment.order_number = order.number
        payment.amount = due
        payment.status = Status.SUCCEEDED
        payment.needs_attention = False
        payment.resolved_by = actor
        payment.resolved_at = timezone.now()
        payment.resolution_note = (note or f"Matched to order {order.number}").strip()
        payment.save()
        _record_event(payment, "staff_match", f"Matched to order {order.number}", actor=actor)
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
