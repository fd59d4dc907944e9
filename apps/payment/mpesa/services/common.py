"""What every payment service shares: the amounts M-Pesa moves, callback tokens, the
attempt's timeline and the order's M-Pesa source."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Subquery
from django.urls import reverse
from oscar.core.loading import get_model

from apps.order import statuses as order_statuses
from apps.payment.models import (
    MpesaAttemptEvent,
    MpesaPaymentAttempt,
)

from .. import gateway
from ..phone import mask_phone
from ..rules import whole_shillings

PaymentEventType = get_model("order", "PaymentEventType")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
Transaction = get_model("payment", "Transaction")


SOURCE_TYPE_CODE = "mpesa"
SOURCE_TYPE_NAME = "M-Pesa"
EVENT_PROMPT_SENT = "M-Pesa prompt sent"
EVENT_PAID = "Paid"
# Money below what the order is due: applied, the order still waits for the balance.
EVENT_PART_PAYMENT = "Part payment"
ORDER_PENDING = order_statuses.PENDING_PAYMENT
ORDER_PAID = order_statuses.PAID
ORDER_CANCELLED = order_statuses.CANCELLED


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
    payment_event_type(EVENT_PART_PAYMENT)


def new_unplaced_order_source(*, currency: str, amount: Decimal, reference: str = ""):
    """An unsaved Source for an order about to be placed, with the amount allocated."""
    source = Source(source_type=_mpesa_source_type(), currency=currency, reference=reference)
    source.amount_allocated = amount
    source.create_deferred_transaction(Transaction.AUTHORISE, amount, reference)
    return source


@dataclass(frozen=True)
class OrderMoney:
    """What an order is due in whole shillings, and what M-Pesa money is recorded on it."""

    due: Decimal
    received: Decimal

    @property
    def balance(self) -> Decimal:
        """What is still owed: never below zero (money beyond the due is flagged apart)."""
        return max(self.due - self.received, Decimal(0))

    @property
    def is_part_paid(self) -> bool:
        return Decimal(0) < self.received < self.due


def order_money_from_source(order, source) -> OrderMoney:
    """The order's money as its M-Pesa source records it, read with both locked
    (``settle._order_locked``); ``source`` may be None: nothing received yet."""
    received = source.amount_debited - source.amount_refunded if source else Decimal(0)
    return OrderMoney(due=order.amount_due, received=received)


def order_money(order) -> OrderMoney:
    """The order's money, read now without a lock: for pages and for checks that the
    settling transaction makes again under its lock."""
    return OrderMoney(due=order.amount_due, received=order.amount_received())
