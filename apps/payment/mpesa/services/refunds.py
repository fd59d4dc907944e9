"""Refunds: M-Pesa money sent back to the customer from the dashboard, through Daraja.

A refund returns money from one payment (one M-Pesa receipt): a cancelled order's money, part
of an order's, an excess over what an order was due, a second payment for one order, or
Paybill money that matched no order. It never exceeds what that payment brought less what
was refunded from it (counting refunds still under way), checked with the payment locked.

**Reversal or B2C.** A refund of the whole of a payment nothing was refunded from yet is a
Reversal (``TransactionReversal``): M-Pesa undoes that very transaction, needs no phone
number (Paybill confirmations carry the payer's number masked) and refuses to reverse one
receipt twice (``R000001``). Anything less than the whole (part of an order, an excess, what
is left after an earlier refund) cannot be a reversal, which moves the whole transaction:
it is a B2C ``BusinessPayment`` to the phone that paid (an STK push's, or a number staff
give for a Paybill payment), from ``MPESA_B2C_SHORTCODE``, carrying the shop's own
OriginatorConversationID so that Daraja refuses a duplicate and Transaction Status finds it.

**A state machine, like a payment.** ``refund_start`` records the refund (``requested``) in
one transaction with the payment locked; the database allows one refund per idempotency key
(one press of the confirm button) and one refund under way per payment, so a second press,
or a colleague's press at the same moment, sends nothing more. Daraja is then called outside
any transaction: its acceptance makes the refund ``accepted``; a refusal makes it ``failed``
(nothing was sent); no answer in time makes it ``unconfirmed`` and it is never sent again by
itself. The outcome comes to the refund's own secret ResultURL (``refund_result_store``
keeps the body first, ``refund_result_process`` applies it with the payment and the refund
locked, so a duplicate changes nothing), or, when it is lost, from the Transaction Status
API that ``mpesa_reconcile`` asks (``refunds_reconcile``).

**On the books.** A completed refund is recorded on the order as Oscar records a refund: the
part that was recorded on the order comes off its M-Pesa source (``amount_refunded`` and a
Refund transaction carrying the payment's receipt); money the order never took (an excess, a
second payment) is recorded on a source of its own, "M-Pesa, not applied", as received and
refunded at once; and a "Refunded" payment event carries the refund's own receipt. The
customer is owed an email (the order emails' outbox). ``mpesa_audit`` counts completed
refunds as money out: received = applied + waiting + refunded.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from apps.common.money import ksh
from apps.payment.models import (
    OPEN_REFUND_STATUSES,
    MpesaAttemptStatus,
    MpesaCallback,
    MpesaPaymentAttempt,
    MpesaRefund,
    OrderEmail,
)

from .. import emails, gateway
from ..credential import CredentialError
from ..gateway_refunds import DarajaRefundClient
from ..phone import InvalidPhoneNumber, mask_phone, normalise_phone
from ..refund_results import (
    COMPLETED_STATUS,
    NOT_DONE_STATUSES,
    RefundResult,
    RefundResultParseError,
    parse_refund_result,
)
from ..rules import InvalidAmount, whole_shillings
from .common import (
    ORDER_CANCELLED,
    SOURCE_TYPE_CODE,
    _record_event,
    _type_id,
    callback_token_digest,
    payment_event_type,
)
from .errors import MpesaPaymentError
from .settle import _order_locked

logger = logging.getLogger(__name__)

Order = get_model("order", "Order")
PaymentEvent = get_model("order", "PaymentEvent")
PaymentEventType = get_model("order", "PaymentEventType")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
Transaction = get_model("payment", "Transaction")

Status = MpesaRefund.Status
Kind = MpesaRefund.Kind
Method = MpesaRefund.Method

EVENT_REFUNDED = "Refunded"
# Money an order never took (an excess, a second payment) is recorded, when refunded, on a
# source of its own: received and refunded at once, so the order's books show both and
# what the order received is unchanged.
NOT_APPLIED_SOURCE_CODE = "mpesa-not-applied"
NOT_APPLIED_SOURCE_NAME = "M-Pesa, not applied (refunded)"
MONEY_STATUSES = (MpesaAttemptStatus.SUCCEEDED, MpesaAttemptStatus.REVIEW)


class RefundRefused(MpesaPaymentError):
    """A refund staff asked for that may not be sent; ``str()`` says why, to staff."""


def daraja_refund_client() -> DarajaRefundClient:
    return DarajaRefundClient.from_settings()


def refund_types_ensure(**kwargs) -> None:
    """The type rows a refund's books refer to exist (made after ``migrate``)."""
    payment_event_type(EVENT_REFUNDED)
    SourceType.objects.get_or_create(
        code=NOT_APPLIED_SOURCE_CODE, defaults={"name": NOT_APPLIED_SOURCE_NAME}
    )


# --- What a payment holds -------------------------------------------------------------------


@dataclass(frozen=True)
class RefundableMoney:
    """One payment's money as a refund sees it (read with the payment locked)."""

    received: Decimal
    # Recorded on the order (debited on its M-Pesa source) and not refunded.
    on_order: Decimal
    # Received, never recorded on the order, not refunded and not resolved by staff.
    not_applied: Decimal
    # Refunds completed, and refunds still under way.
    refunded: Decimal
    under_way: Decimal
    # What the payment's order holds in all, when it has one.
    order_received: Decimal
    order_cancelled: bool

    @property
    def refundable(self) -> Decimal:
        """What may be refunded now: all the payment still holds when its order is cancelled
        (or it has none); otherwise what the order never took, and part of what it did."""
        return self.not_applied + self.on_order


def _debit_key(payment: MpesaPaymentAttempt) -> str:
    """The reference of the payment's debits (and of its refunds) on the order's source."""
    return payment.receipt_number or payment.checkout_request_id or ""


def refundable_money(payment: MpesaPaymentAttempt) -> RefundableMoney:
    """What ``payment`` holds for a refund; read again under the lock before one is made."""
    received = payment.amount_paid if payment.status in MONEY_STATUSES else None
    received = received or Decimal(0)
    debited = Decimal(0)
    order_received = Decimal(0)
    order_cancelled = False
    if payment.order_id:
        order = Order.objects.only("pk", "status").get(pk=payment.order_id)
        order_cancelled = order.status == ORDER_CANCELLED
        order_received = order.amount_received()
        if payment.recorded_on_order:
            debited = Transaction.objects.filter(
                source__order_id=payment.order_id,
                source__source_type__code=SOURCE_TYPE_CODE,
                txn_type=Transaction.DEBIT,
                reference=_debit_key(payment),
            ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    refunds = payment.refunds.exclude(status=Status.FAILED)
    totals = refunds.aggregate(
        taken=Sum("amount"),
        taken_from_order=Sum("from_order"),
        completed=Sum("amount", filter=Q(status=Status.COMPLETED)),
    )
    taken = totals["taken"] or Decimal(0)
    taken_from_order = totals["taken_from_order"] or Decimal(0)
    completed = totals["completed"] or Decimal(0)
    resolved_by_hand = (
        payment.resolved_at is not None
        and not payment.needs_attention
        and not payment.refunds.filter(status=Status.COMPLETED).exists()
    )
    not_applied = received - debited - (taken - taken_from_order)
    if resolved_by_hand and not payment.recorded_on_order:
        not_applied = Decimal(0)  # staff resolved it outside the shop (e.g. the portal)
    return RefundableMoney(
        received=received,
        on_order=max(debited - taken_from_order, Decimal(0)),
        not_applied=max(not_applied, Decimal(0)),
        refunded=completed,
        under_way=taken - completed,
        order_received=order_received,
        order_cancelled=order_cancelled,
    )


def refund_refusal(payment: MpesaPaymentAttempt) -> str | None:
    """Why nothing can be refunded from ``payment`` now, or None when something can."""
    if not settings.MPESA_REFUNDS_ENABLED:
        return _("Refunds through M-Pesa are not enabled (MPESA_REFUNDS_ENABLED).")
    if payment.is_test:
        return _("Test prompts are not refunded from the shop.")
    if payment.status not in MONEY_STATUSES or not payment.amount_paid:
        return _("This transaction brought no money.")
    if payment.refunds.filter(status__in=OPEN_REFUND_STATUSES).exists():
        return _("A refund of this payment is under way: wait for its result.")
    money = refundable_money(payment)
    if money.refundable <= 0:
        return _("Nothing is left to refund from this payment.")
    return None


@dataclass(frozen=True)
class RefundPlan:
    """What a refund of ``amount`` from a payment would be, before it is made."""

    amount: Decimal
    kind: str
    method: str
    from_order: Decimal
    phone: str  # where a B2C refund goes; "" for a reversal


def refund_plan(*, payment: MpesaPaymentAttempt, amount, phone: str = "") -> RefundPlan:
    """The refund staff are about to confirm (read without a lock; ``refund_request``
    decides again under it). Raises ``RefundRefused`` when it may not be made."""
    refusal = refund_refusal(payment)
    if refusal:
        raise RefundRefused(refusal)
    try:
        shillings = Decimal(whole_shillings(amount))
    except InvalidAmount as exc:
        raise RefundRefused(_("M-Pesa refunds whole shillings only.")) from exc
    if shillings <= 0:
        raise RefundRefused(_("Enter an amount of at least KSh 1."))
    money = refundable_money(payment)
    kind, from_order = _refund_plan(payment, money, shillings)
    method = _refund_method(payment, money, shillings)
    return RefundPlan(
        amount=shillings,
        kind=kind,
        method=method,
        from_order=from_order,
        phone=_b2c_phone(payment, phone) if method == Method.B2C else "",
    )


def _refund_plan(payment, money: RefundableMoney, amount: Decimal) -> tuple[str, Decimal]:
    """The refund's kind and the part of ``amount`` that comes off the order's books
    (money the order never took is refunded first)."""
    if amount > money.refundable:
        raise RefundRefused(
            _("At most %(most)s can be refunded from this payment.")
            % {"most": ksh(money.refundable)}
        )
    from_order = max(amount - money.not_applied, Decimal(0))
    if payment.order_id is None:
        return Kind.UNMATCHED, from_order
    if money.order_cancelled:
        return (Kind.ORDER if amount == money.refundable else Kind.PART), from_order
    if from_order > 0:
        if from_order >= money.order_received:
            raise RefundRefused(
                _(
                    "That is everything order %(number)s holds: cancel the order first, "
                    "then refund it."
                )
                % {"number": payment.order_number}
            )
        return Kind.PART, from_order
    return (Kind.OVERPAYMENT if payment.recorded_on_order else Kind.DUPLICATE), from_order


def _refund_method(payment, money: RefundableMoney, amount: Decimal) -> str:
    """Reversal for the whole of a payment nothing was refunded from; B2C otherwise (and
    for a payment whose receipt the shop never learnt: an STK query gives none)."""
    whole = amount == money.received and money.refunded == 0 and money.under_way == 0
    if whole and payment.receipt_number:
        return Method.REVERSAL
    return Method.B2C


def _b2c_phone(payment: MpesaPaymentAttempt, phone: str) -> str:
    for candidate in (phone, payment.paid_phone, payment.phone):
        if not candidate:
            continue
        try:
            return normalise_phone(candidate)
        except InvalidPhoneNumber:
            if candidate == phone:
                raise RefundRefused(
                    _("%(phone)s is not a Kenyan mobile number.") % {"phone": phone}
                ) from None
    raise RefundRefused(
        _(
            "M-Pesa sent this payment's phone number masked: enter the customer's number to "
            "send part of the payment back."
        )
    )


# --- Starting a refund ----------------------------------------------------------------------


def refund_start(
    *,
    payment: MpesaPaymentAttempt,
    amount: Decimal,
    actor,
    idempotency_key: str,
    reason: str = "",
    phone: str = "",
) -> MpesaRefund:
    """Refund ``amount`` from ``payment``: record the refund, then send it to Daraja.

    The same ``idempotency_key`` (one press of the confirm button) returns the refund it
    made, sending nothing more. Raises ``RefundRefused`` when the refund may not be made.
    """
    refund, secret = refund_request(
        payment=payment,
        amount=amount,
        actor=actor,
        idempotency_key=idempotency_key,
        reason=reason,
        phone=phone,
    )
    if secret is None:
        return refund  # made by an earlier press of the same button
    return refund_send(refund=refund, secret=secret)


def refund_request(
    *,
    payment: MpesaPaymentAttempt,
    amount: Decimal,
    actor,
    idempotency_key: str,
    reason: str = "",
    phone: str = "",
) -> tuple[MpesaRefund, str | None]:
    """Record a refund (``requested``) with the payment locked. Returns it with the secret
    of its ResultURL, or with None when this key made it before (nothing new to send)."""
    key = (idempotency_key or "").strip()[:64]
    if not key:
        raise RefundRefused(_("This refund form has expired: open it again."))
    secret = secrets.token_hex(32)
    try:
        with transaction.atomic():
            locked = MpesaPaymentAttempt.objects.select_for_update().get(pk=payment.pk)
            earlier = MpesaRefund.objects.filter(idempotency_key=key).first()
            if earlier is not None:
                if earlier.payment_id != locked.pk:
                    raise RefundRefused(_("This refund form has expired: open it again."))
                return earlier, None
            plan = refund_plan(payment=locked, amount=amount, phone=phone)
            shillings, method = plan.amount, plan.method
            refund = MpesaRefund.objects.create(
                payment=locked,
                order_id=locked.order_id,
                kind=plan.kind,
                method=method,
                amount=shillings,
                from_order=plan.from_order,
                phone=plan.phone,
                reason=(reason or "").strip()[:255],
                idempotency_key=key,
                result_token=callback_token_digest(secret),
                originator_conversation_id=(
                    f"refund-{uuid.uuid4().hex}" if method == Method.B2C else None
                ),
                requested_by=actor,
            )
            _record_event(
                locked,
                "refund_requested",
                f"Refund of {ksh(shillings)} requested ({refund.get_kind_display()}, "
                f"{refund.get_method_display()})",
                data={"refund": refund.pk},
                actor=actor,
            )
    except IntegrityError as exc:
        # Another refund of this payment was recorded meanwhile (a colleague's press), or
        # this very press was recorded by a concurrent request with the same key.
        earlier = MpesaRefund.objects.filter(idempotency_key=key, payment_id=payment.pk).first()
        if earlier is not None:
            return earlier, None
        raise RefundRefused(
            _("A refund of this payment is under way: wait for its result.")
        ) from exc
    logger.info("Refund %s of KSh %s requested from payment %s", refund.pk, shillings, payment.pk)
    return refund, secret


def order_refund_start(*, order, actor, idempotency_key: str, reason: str = "") -> list:
    """Refund everything a cancelled order holds: one refund per payment that still holds
    money (each a reversal of the whole payment where nothing was refunded from it)."""
    if order.status != ORDER_CANCELLED:
        raise RefundRefused(_("Cancel the order first: only a cancelled order is refunded whole."))
    refunds = []
    payments = MpesaPaymentAttempt.objects.filter(
        order=order, status__in=MONEY_STATUSES, is_test=False
    ).order_by("pk")
    for payment in payments:
        if refund_refusal(payment):
            continue
        money = refundable_money(payment)
        refunds.append(
            refund_start(
                payment=payment,
                amount=money.refundable,
                actor=actor,
                idempotency_key=f"{idempotency_key[:40]}:{payment.pk}",
                reason=reason,
            )
        )
    if not refunds:
        raise RefundRefused(_("Nothing is left to refund on this order."))
    return refunds


def _url(name: str, secret: str) -> str:
    base = settings.MPESA_CALLBACK_BASE_URL.rstrip("/")
    return base + reverse(name, kwargs={"token": secret})


def refund_send(*, refund: MpesaRefund, secret: str) -> MpesaRefund:
    """Send a ``requested`` refund to Daraja, once. Outside any transaction."""
    result_url = _url("mpesa-refund-result", secret)
    timeout_url = _url("mpesa-refund-timeout", secret)
    remarks = f"Refund {refund.order.number if refund.order_id else refund.payment.order_number}"
    try:
        client = daraja_refund_client()
    except (CredentialError, ValueError) as exc:
        return _refund_not_sent(refund, "credential", f"Not sent: {exc}")
    try:
        if refund.method == Method.REVERSAL:
            accepted = client.reversal(
                receipt=refund.payment.receipt_number,
                amount=int(refund.amount),
                result_url=result_url,
                timeout_url=timeout_url,
                remarks=remarks,
            )
        else:
            accepted = client.b2c_payment(
                originator_conversation_id=refund.originator_conversation_id,
                phone=refund.phone,
                amount=int(refund.amount),
                result_url=result_url,
                timeout_url=timeout_url,
                remarks=remarks,
            )
    except (gateway.DarajaTimeout, gateway.DarajaInvalidResponse) as exc:
        return _refund_unconfirmed(refund, exc)
    except gateway.DarajaError as exc:
        return _refund_not_sent(refund, exc.error_code or "", exc.error_message or str(exc))
    except ValueError as exc:
        return _refund_not_sent(refund, "invalid", str(exc))
    with transaction.atomic():
        refund = _locked_refund(refund.pk)
        refund.conversation_id = accepted.conversation_id[:100]
        refund.originator_conversation_id = (
            refund.originator_conversation_id or accepted.originator_conversation_id[:100] or None
        )
        refund.request_body = {
            **accepted.request_body,
            "ResultURL": _url("mpesa-refund-result", "***"),
            "QueueTimeOutURL": _url("mpesa-refund-timeout", "***"),
        }
        refund.response_body = accepted.raw
        refund.sent_at = timezone.now()
        if refund.status == Status.REQUESTED:
            # A fast result may already have settled it: never move a settled one back.
            refund.status = Status.ACCEPTED
        refund.save()
        _record_event(
            refund.payment,
            "refund_accepted",
            f"M-Pesa accepted the refund of {ksh(refund.amount)}: {accepted.response_description}",
            data=accepted.raw,
        )
    return refund


def _locked_refund(refund_id: int) -> MpesaRefund:
    """The refund locked for update, its payment locked first: the order every writer of a
    refund takes (``refund_settle`` too). Locked the other way round, a result arriving while
    the request's answer was being recorded deadlocked with it (the event recorded on the
    payment waits for the payment's lock), and the result was lost."""
    payment_id = MpesaRefund.objects.values_list("payment_id", flat=True).get(pk=refund_id)
    payment = MpesaPaymentAttempt.objects.select_for_update().get(pk=payment_id)
    refund = MpesaRefund.objects.select_for_update().get(pk=refund_id)
    refund.payment = payment  # the row locked, not read again
    return refund


def _refund_not_sent(refund: MpesaRefund, code: str, message: str) -> MpesaRefund:
    with transaction.atomic():
        refund = _locked_refund(refund.pk)
        if refund.status != Status.REQUESTED:
            return refund
        refund.status = Status.FAILED
        refund.result_code = code[:32]
        refund.result_desc = message[:255]
        refund.settled_at = timezone.now()
        refund.save()
        _record_event(
            refund.payment,
            "refund_failed",
            f"M-Pesa did not take the refund of {ksh(refund.amount)}: {code} {message}".strip(),
        )
    logger.warning("Refund %s refused: %s %s", refund.pk, code, message)
    return refund


def _refund_unconfirmed(refund: MpesaRefund, exc: Exception) -> MpesaRefund:
    with transaction.atomic():
        refund = _locked_refund(refund.pk)
        if refund.status == Status.REQUESTED:
            refund.status = Status.UNCONFIRMED
            refund.sent_at = timezone.now()
            refund.result_desc = "M-Pesa did not confirm the refund request"
            refund.save()
        _record_event(
            refund.payment,
            "refund_unconfirmed",
            f"No answer from M-Pesa for the refund of {ksh(refund.amount)}; it is not sent "
            f"again by itself: {exc}",
        )
    logger.warning("Refund %s unconfirmed: %s", refund.pk, exc)
    return refund


# --- Results --------------------------------------------------------------------------------


class ResultKind:
    RESULT = "result"
    TIMEOUT = "timeout"
    STATUS = "status"


def refund_result_store(*, token: str, body: bytes, remote_addr: str | None) -> MpesaCallback:
    """Keep a result body exactly as it came, before anything else can go wrong."""
    return MpesaCallback.objects.create(
        token=callback_token_digest(token),
        body=body.decode("utf-8", errors="replace").replace("\x00", "\\u0000"),
        remote_addr=remote_addr or None,
    )


@dataclass(frozen=True)
class RefundOutcome:
    success: bool
    result_code: str
    result_desc: str
    receipt_number: str = ""
    amount: Decimal | None = None
    via: str = "result"


class RefundSettleResult:
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


def _callback_outcome(callback: MpesaCallback, outcome: str, detail: str) -> str:
    callback.outcome = outcome
    callback.detail = detail[:255]
    callback.save(update_fields=["refund", "outcome", "detail"])
    return outcome


def _refund_for_token(digest: str) -> MpesaRefund | None:
    """The refund a result URL's token belongs to: its result token, or the token of the
    latest Transaction Status question about it."""
    refund = MpesaRefund.objects.filter(Q(result_token=digest) | Q(status_token=digest)).first()
    if refund is None:
        return None
    if not (
        constant_time_compare(refund.result_token, digest)
        or constant_time_compare(refund.status_token or "", digest)
    ):
        return None
    return refund


def refund_result_process(*, callback: MpesaCallback, kind: str) -> str:
    """Apply a stored result to its refund; returns the callback's outcome.

    A body for no refund is rejected (unknown token); one whose conversation ids are not
    the refund's is rejected and changes nothing; a queue time-out only waits for the
    status query; a Transaction Status answer that does not say how the refund ended
    changes nothing either.
    """
    refund = _refund_for_token(callback.token)
    if refund is None:
        return _callback_outcome(callback, MpesaCallback.Outcome.REJECTED, "unknown token")
    callback.refund = refund
    try:
        parsed = parse_refund_result(callback.body)
    except RefundResultParseError as exc:
        return _callback_outcome(callback, MpesaCallback.Outcome.REJECTED, str(exc))
    if kind == ResultKind.TIMEOUT:
        _record_event(
            refund.payment,
            "refund_queue_timeout",
            "M-Pesa's queue timed out on the refund request; its status will be asked",
            data={"refund": refund.pk},
        )
        return _callback_outcome(callback, MpesaCallback.Outcome.IGNORED, "queue time-out")
    if kind == ResultKind.STATUS:
        outcome = _status_outcome(parsed)
        if outcome is None:
            _record_event(
                refund.payment,
                "refund_status",
                f"M-Pesa's status answer: {parsed.result_code} {parsed.result_desc} "
                f"{parsed.transaction_status}".strip(),
                data={"refund": refund.pk},
            )
            return _callback_outcome(callback, MpesaCallback.Outcome.IGNORED, "no verdict")
    else:
        mismatch = _ids_mismatch(refund, parsed)
        if mismatch:
            _record_event(refund.payment, "refund_mismatch", mismatch, data={"refund": refund.pk})
            return _callback_outcome(callback, MpesaCallback.Outcome.REJECTED, mismatch)
        outcome = RefundOutcome(
            success=parsed.is_success,
            result_code=parsed.result_code,
            result_desc=parsed.result_desc,
            receipt_number=parsed.receipt if parsed.is_success else "",
            amount=parsed.amount,
            via="result",
        )
    result = refund_settle(refund_id=refund.pk, outcome=outcome)
    outcomes = {
        RefundSettleResult.APPLIED: MpesaCallback.Outcome.APPLIED,
        RefundSettleResult.DUPLICATE: MpesaCallback.Outcome.DUPLICATE,
        RefundSettleResult.IGNORED: MpesaCallback.Outcome.IGNORED,
    }
    return _callback_outcome(callback, outcomes[result], result)


def _ids_mismatch(refund: MpesaRefund, parsed: RefundResult) -> str:
    """Why a result is not this refund's, or "" when its conversation ids agree."""
    for mine, theirs, name in (
        (refund.conversation_id, parsed.conversation_id, "ConversationID"),
        (
            refund.originator_conversation_id,
            parsed.originator_conversation_id,
            "OriginatorConversationID",
        ),
    ):
        if mine and theirs and mine != theirs:
            return f"Result for another request ignored: {name} {theirs[:60]}"
    if not (refund.conversation_id or refund.originator_conversation_id):
        return ""
    if not (parsed.conversation_id or parsed.originator_conversation_id):
        return "Result without a ConversationID ignored"
    return ""


def _status_outcome(parsed: RefundResult) -> RefundOutcome | None:
    """What a Transaction Status answer says of the refund: done, not done, or unknown."""
    if not parsed.is_success:
        return None  # the question failed (or M-Pesa cannot find it): no verdict
    status = parsed.transaction_status
    if status == COMPLETED_STATUS:
        return RefundOutcome(
            success=True,
            result_code="0",
            result_desc=f"Transaction Status: {parsed.parameters.get('TransactionStatus')}",
            receipt_number=parsed.receipt,
            amount=parsed.amount,
            via="status",
        )
    if status in NOT_DONE_STATUSES:
        return RefundOutcome(
            success=False,
            result_code=status[:32],
            result_desc=f"Transaction Status: {parsed.parameters.get('TransactionStatus')}",
            via="status",
        )
    return None


def refund_settle(*, refund_id: int, outcome: RefundOutcome, actor=None) -> str:
    """Apply an outcome to a refund, exactly once: the payment, then the refund, locked
    (the order and its sources too when the money is booked)."""
    with transaction.atomic():
        refund = _locked_refund(refund_id)
        payment = refund.payment
        if refund.status == Status.COMPLETED:
            kind = "duplicate" if outcome.success else "ignored"
            _record_event(
                payment,
                f"refund_{kind}",
                f"{outcome.via}: refund {refund.pk} already completed",
                actor=actor,
            )
            return RefundSettleResult.DUPLICATE if outcome.success else RefundSettleResult.IGNORED
        if refund.status == Status.FAILED and not outcome.success:
            _record_event(payment, "refund_duplicate", f"{outcome.via}: failure already recorded")
            return RefundSettleResult.DUPLICATE
        if outcome.success:
            _refund_complete(refund, payment, outcome, actor)
        else:
            _refund_fail(refund, payment, outcome, actor)
    return RefundSettleResult.APPLIED


def _refund_fail(refund: MpesaRefund, payment, outcome: RefundOutcome, actor) -> None:
    refund.status = Status.FAILED
    refund.result_code = outcome.result_code[:32]
    refund.result_desc = outcome.result_desc[:255]
    refund.settled_at = timezone.now()
    refund.save()
    _record_event(
        payment,
        "refund_failed",
        f"Refund of {ksh(refund.amount)} failed ({outcome.via}): {outcome.result_code} "
        f"{outcome.result_desc}",
        data={"refund": refund.pk},
        actor=actor,
    )
    logger.warning("Refund %s failed: %s", refund.pk, outcome.result_code)


def _refund_complete(refund: MpesaRefund, payment, outcome: RefundOutcome, actor) -> None:
    was_failed = refund.status == Status.FAILED
    refund.status = Status.COMPLETED
    refund.result_code = outcome.result_code[:32]
    refund.result_desc = outcome.result_desc[:255]
    refund.receipt_number = outcome.receipt_number or None
    refund.settled_at = timezone.now()
    refund.save()
    if refund.order_id:
        _refund_book(refund, payment)
    message = (
        f"Refunded {ksh(refund.amount)} ({outcome.via}), receipt "
        f"{refund.receipt_number or 'not given'}"
    )
    if refund.method == Method.B2C:
        message += f", to {mask_phone(refund.phone)}"
    _record_event(payment, "refund_completed", message, data={"refund": refund.pk}, actor=actor)
    left = refundable_money(payment)
    if was_failed or (outcome.amount is not None and outcome.amount != refund.amount):
        payment.needs_attention = True
        payment.attention_reason = (
            f"Refund {refund.pk} of {ksh(refund.amount)} completed "
            + ("after it was recorded failed" if was_failed else f"for {outcome.amount}")
            + ": check the customer's statement"
        )[:255]
        payment.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
    elif (
        payment.needs_attention
        and left.not_applied == 0
        and (left.on_order == 0 or not left.order_cancelled)
    ):
        # What the payment held for staff has gone back: it no longer waits in the inbox.
        payment.needs_attention = False
        payment.resolved_at = timezone.now()
        payment.resolved_by = refund.requested_by
        payment.resolution_note = f"Refunded {ksh(left.refunded)} through M-Pesa"
        payment.save(
            update_fields=[
                "needs_attention",
                "resolved_at",
                "resolved_by",
                "resolution_note",
                "updated_at",
            ]
        )
    logger.info("Refund %s completed via %s", refund.pk, outcome.via)


def _refund_book(refund: MpesaRefund, payment) -> None:
    """Record a completed refund on its order's books (see the module docstring) and owe
    the customer the email. Locks the order and its M-Pesa source."""
    order, source = _order_locked(refund.order_id)
    reference = _debit_key(payment)
    if refund.from_order > 0 and source is not None:
        Source.objects.filter(pk=source.pk).update(
            amount_refunded=F("amount_refunded") + refund.from_order
        )
        Transaction.objects.create(
            source=source,
            txn_type=Transaction.REFUND,
            amount=refund.from_order,
            reference=reference,
        )
    not_applied = refund.amount - refund.from_order
    if not_applied > 0:
        apart = Source.objects.filter(
            order=order, source_type__code=NOT_APPLIED_SOURCE_CODE
        ).first()
        if apart is None:
            refund_types_ensure()
            apart = Source.objects.create(
                order=order,
                source_type=SourceType.objects.get(code=NOT_APPLIED_SOURCE_CODE),
                currency=order.currency,
            )
        Source.objects.filter(pk=apart.pk).update(
            amount_debited=F("amount_debited") + not_applied,
            amount_refunded=F("amount_refunded") + not_applied,
        )
        Transaction.objects.bulk_create(
            [
                Transaction(
                    source=apart,
                    txn_type=Transaction.DEBIT,
                    amount=not_applied,
                    reference=reference,
                ),
                Transaction(
                    source=apart,
                    txn_type=Transaction.REFUND,
                    amount=not_applied,
                    reference=reference,
                ),
            ]
        )
    PaymentEvent.objects.create(
        order=order,
        event_type_id=_type_id(PaymentEventType, name=EVENT_REFUNDED),
        amount=refund.amount,
        reference=refund.receipt_number or "",
    )
    emails.order_email_queue(order_id=order.pk, kind=OrderEmail.Kind.REFUND, again=True)


def refund_staff_settle(
    *, refund: MpesaRefund, sent: bool, actor, receipt_number: str = "", note: str = ""
) -> str:
    """Staff record how a refund under way ended, as they read it in the M-Pesa portal: for
    one Daraja never answered about (a reversal whose request timed out has no id to ask
    Transaction Status with). Sent needs the refund's M-Pesa receipt. A result that comes
    later still applies: money that went after all is booked and flagged for staff."""
    if not refund.is_open:
        raise RefundRefused(_("This refund is settled already."))
    receipt = (receipt_number or "").strip().upper()
    if sent and not receipt:
        raise RefundRefused(_("Enter the refund's M-Pesa receipt from the portal."))
    if sent and MpesaRefund.objects.filter(receipt_number=receipt).exclude(pk=refund.pk).exists():
        raise RefundRefused(_("Receipt %(receipt)s is already recorded.") % {"receipt": receipt})
    detail = f"Recorded by staff from the M-Pesa portal. {note}".strip()
    return refund_settle(
        refund_id=refund.pk,
        outcome=RefundOutcome(
            success=sent,
            result_code="0" if sent else "staff",
            result_desc=detail[:255],
            receipt_number=receipt,
            via="staff",
        ),
        actor=actor,
    )


# --- Reconciliation -------------------------------------------------------------------------


def refund_status_due(refund: MpesaRefund, now=None) -> bool:
    """An accepted (or unconfirmed) refund whose result has not come: time to ask."""
    now = now or timezone.now()
    if refund.status not in (Status.ACCEPTED, Status.UNCONFIRMED):
        return False
    if not refund.originator_conversation_id:
        return False  # a reversal Daraja never answered: staff check it in the portal
    since = refund.sent_at or refund.created_at
    if since > now - timedelta(seconds=settings.MPESA_REFUND_QUERY_AFTER_SECONDS):
        return False
    interval = timedelta(seconds=settings.MPESA_REFUND_QUERY_INTERVAL_SECONDS)
    return refund.last_queried_at is None or refund.last_queried_at <= now - interval


def refund_status_ask(*, refund: MpesaRefund, force: bool = False) -> bool:
    """Ask Daraja's Transaction Status API where a refund stands; the answer comes to the
    refund's status URL (a new secret for it, kept as the refund's result token). Claimed
    with one conditional UPDATE, so two reconcilers never ask twice. True if asked."""
    now = timezone.now()
    if not force and not refund_status_due(refund, now):
        return False
    secret = secrets.token_hex(32)
    claim = MpesaRefund.objects.filter(
        pk=refund.pk, status__in=(Status.ACCEPTED, Status.UNCONFIRMED)
    )
    if not force:
        interval = timedelta(seconds=settings.MPESA_REFUND_QUERY_INTERVAL_SECONDS)
        claim = claim.filter(
            Q(last_queried_at__isnull=True) | Q(last_queried_at__lte=now - interval)
        )
    # The answer comes to a URL of its own, with a new secret: the refund keeps its digest
    # (the latest question's), and its result URL keeps working as well.
    if not claim.update(
        last_queried_at=now,
        query_count=F("query_count") + 1,
        status_token=callback_token_digest(secret),
    ):
        return False
    try:
        daraja_refund_client().transaction_status(
            originator_conversation_id=refund.originator_conversation_id or "",
            result_url=_url("mpesa-refund-status", secret),
            timeout_url=_url("mpesa-refund-timeout", secret),
        )
    except (gateway.DarajaError, CredentialError, ValueError) as exc:
        _record_event(refund.payment, "refund_status_error", f"Status of refund {refund.pk}: {exc}")
        return False
    _record_event(
        refund.payment,
        "refund_status_asked",
        f"Asked M-Pesa (Transaction Status) about refund {refund.pk}",
        data={"refund": refund.pk},
    )
    return True


def refunds_reconcile(*, now=None) -> int:
    """Ask about every refund whose result is overdue (``mpesa_reconcile``). Returns how
    many were asked; their answers settle them when they come."""
    now = now or timezone.now()
    asked = 0
    waiting = MpesaRefund.objects.filter(
        status__in=(Status.ACCEPTED, Status.UNCONFIRMED),
        originator_conversation_id__isnull=False,
    ).select_related("payment")
    for refund in waiting.order_by("created_at"):
        if refund_status_due(refund, now) and refund_status_ask(refund=refund):
            asked += 1
    return asked
