"""What the customer's waiting page shows, and the links that open it.

The waiting page follows an order's latest M-Pesa attempt until its money arrives. Its
URL carries a hash signed like Oscar's ``Order.verification_hash()``, so one hash opens
both the waiting page and Oscar's anonymous order-status page. The waiting page's link
stops working ``MPESA_WAITING_LINK_DAYS`` after the order is paid or cancelled: a link
that was forwarded, or left in a shared browser's history, no longer shows the payment
or sends prompts; the order-status page (the order email's link) stays. Used by the checkout's
views and by the payment app's template tags (order pages, emails), so it lives here,
below both.
"""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.core.signing import BadSignature, Signer
from django.db.models import Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from oscar.core.loading import get_model

from apps.common.money import ksh
from apps.order.statuses import CANCELLED, PAID_STATUSES, PENDING_PAYMENT
from apps.payment.models import MpesaPaymentAttempt

from . import services
from .messages import customer_message_for_result
from .phone import mask_local_phone

Order = get_model("order", "Order")

# Same signer as Oscar's Order.verification_hash(), so one hash opens both the waiting
# page and Oscar's anonymous order-status page.
order_signer = Signer(salt="oscar.apps.order.Order")


def order_access_hash(order_number: str) -> str:
    return order_signer.sign(order_number).rsplit(":", 1)[1]


def waiting_page_url(order_number: str) -> str:
    return reverse(
        "checkout:mpesa-wait",
        kwargs={"order_number": order_number, "hash": order_access_hash(order_number)},
    )


def order_access_valid(order_number: str, hash_: str) -> bool:
    """Whether ``hash_`` is the one this order's links carry and the waiting page's link
    still works (``waiting_link_expired``)."""
    try:
        order_signer.unsign(f"{order_number}:{hash_}")
    except BadSignature:
        return False
    return not waiting_link_expired(order_number)


def waiting_link_expired(order_number: str) -> bool:
    """Whether the order was settled (paid or cancelled) more than
    ``MPESA_WAITING_LINK_DAYS`` ago. An order still waiting for its money keeps its link."""
    settled_at = order_settled_at(order_number)
    if settled_at is None:
        return False
    return timezone.now() - settled_at > timedelta(days=settings.MPESA_WAITING_LINK_DAYS)


def order_settled_at(order_number: str) -> datetime | None:
    """When the order left Pending payment for Paid (or later) or Cancelled, from its first
    recorded status change out of it (one query); an order settled without a recorded
    change counts from when it was placed. None while it waits, or for no such order."""
    found = (
        Order.objects.filter(number=order_number)
        .annotate(
            left_pending=Min(
                "status_changes__date_created",
                filter=Q(status_changes__old_status=PENDING_PAYMENT),
            )
        )
        .values_list("status", "left_pending", "date_placed")
        .first()
    )
    if found is None:
        return None
    status, left_pending, placed = found
    if status not in PAID_STATUSES and status != CANCELLED:
        return None
    return left_pending or placed


#: Each state's headline (what the page says first) and short tab title. The message under
#: the headline adds what to do; it never repeats the headline.
STATE_WORDS = {
    "starting": (_lazy("Sending the prompt to your phone"), _lazy("Sending the prompt")),
    "waiting": (_lazy("Enter your M-Pesa PIN on your phone"), _lazy("Waiting for your PIN")),
    "unconfirmed": (_lazy("Did a prompt reach your phone?"), _lazy("Check your phone")),
    "paid": (_lazy("Payment received"), _lazy("Payment received")),
    "review": (_lazy("We are checking your payment"), _lazy("Checking your payment")),
    "part_paid": (_lazy("Part of the payment received"), _lazy("Balance to pay")),
    "cancelled": (_lazy("Order cancelled"), _lazy("Order cancelled")),
    "failed": (_lazy("The payment did not go through"), _lazy("Payment failed")),
}
#: A failed prompt's headline where how it ended has a name the message does not repeat
#: (the message for a prompt the customer declined already says so).
FAILED_HEADLINES = {
    "1037": _lazy("The prompt timed out"),
    "expired": _lazy("The prompt timed out"),
}
#: The states in which the order still waits for the customer's money: the page offers
#: to send the prompt again, Paybill, the basket and cancelling.
UNPAID_STATES = ("starting", "waiting", "unconfirmed", "failed", "part_paid")
#: The alert style of each state: success and failure look like what they are.
STATE_TONES = {
    "paid": "success",
    "failed": "danger",
    "cancelled": "danger",
    "review": "warning",
    "part_paid": "warning",
}


def payment_status(order_number: str) -> dict:
    """What the waiting page shows, derived from the order and its latest attempt: the
    state, its headline, message, tab title and alert tone, how long the open prompt has
    left, and which of the page's actions (send again, cancel) the shop would take now."""
    order = Order.objects.filter(number=order_number).first()
    attempt = (
        MpesaPaymentAttempt.objects.filter(order_number=order_number)
        .order_by("-created_at", "-pk")
        .first()
    )
    if attempt is not None and order is not None:
        # Re-read only when Daraja's answer settled something: this runs on every poll.
        if services.attempt_refresh_from_daraja(attempt=attempt) is not None:
            attempt.refresh_from_db()
            order.refresh_from_db(fields=["status"])

    status = {
        "state": "starting",
        "message": _("This takes a few seconds."),
        "order_status": order.status if order else "",
        "receipt": None,
        "can_resend": False,
        "can_cancel": False,
        "prompt_seconds_left": 0,
        # The link opens the page for anyone who has it: the number shows only in part.
        "phone": mask_local_phone(attempt.phone) if attempt else "",
        "amount": str(attempt.amount) if attempt else "",
        "amount_due": "",
        "amount_received": "",
        "balance": "",
        "balance_display": "",
        "part_payment": "",
        "money_received": False,
    }
    if order is None or attempt is None:
        return _with_words(status)
    money = services.order_money(order)
    status.update(
        amount_due=str(money.due),
        amount_received=str(money.received),
        balance=str(money.balance),
        balance_display=ksh(money.balance),
        money_received=money.received > 0,
    )
    if order.status == services.ORDER_PENDING and money.is_part_paid:
        status["part_payment"] = part_payment_text(money)
    if order.status in PAID_STATUSES:
        paid = order.mpesa_attempts.filter(status=MpesaPaymentAttempt.Status.SUCCEEDED).first()
        status.update(
            state="paid",
            message=_("Thank you. Your order is confirmed and we are getting it ready."),
            receipt=paid.receipt_number if paid else None,
        )
    elif order.status == services.ORDER_CANCELLED:
        by_customer = order.notes.filter(message=services.CUSTOMER_CANCELLED_NOTE).exists()
        status.update(
            state="cancelled",
            message=(
                _("You cancelled this order. Nothing was taken from your M-Pesa.")
                if by_customer
                else _("This order was cancelled because no payment arrived in time.")
            ),
        )
    elif attempt.status in (attempt.Status.CREATED, attempt.Status.PENDING):
        seconds_left = prompt_seconds_left(attempt)
        status.update(
            state="waiting",
            prompt_seconds_left=seconds_left,
            can_resend=seconds_left == 0,
            message=(
                _(
                    "Check the amount on the prompt, then enter your PIN. This page moves on "
                    "by itself."
                )
                if seconds_left
                else _(
                    "No answer from your phone yet. If the prompt has gone, send it again, "
                    "to this number or another."
                )
            ),
        )
    elif attempt.status == attempt.Status.UNCONFIRMED:
        status.update(
            state="unconfirmed",
            can_resend=True,
            message=_(
                "M-Pesa did not confirm that the prompt was sent. If it appears on your "
                "phone, enter your PIN; if nothing arrives, send the prompt again."
            ),
        )
    elif attempt.recorded_on_order and money.is_part_paid:
        status.update(
            state="part_paid",
            can_resend=True,
            message=_(
                "Pay the balance with a new prompt, or by Paybill, and your order is complete."
            ),
            receipt=attempt.receipt_number,
        )
    elif attempt.status in (attempt.Status.SUCCEEDED, attempt.Status.REVIEW):
        status.update(
            state="review",
            message=_(
                "We received an M-Pesa payment that our staff need to check. "
                "We will contact you shortly."
            ),
            receipt=attempt.receipt_number,
        )
    elif attempt.status == attempt.Status.EXPIRED:
        status.update(
            state="failed",
            headline=FAILED_HEADLINES["expired"],
            can_resend=True,
            message=_("Nobody answered it in time. Send it again when you are ready."),
        )
    else:
        failed = attempt.status == attempt.Status.FAILED
        status.update(
            state="failed",
            headline=FAILED_HEADLINES.get(attempt.result_code) if failed else None,
            can_resend=True,
            message=(
                customer_message_for_result(attempt.result_code, attempt.result_desc)
                if failed
                else attempt.result_desc or _("M-Pesa could not send the prompt.")
            ),
        )
    # What ``services.order_cancel_by_customer`` would refuse, the page does not offer.
    prompt_may_be_answered = attempt.is_open and prompt_seconds_left(attempt) > 0
    status["can_cancel"] = (
        order.status == services.ORDER_PENDING
        and not money.received
        and status["state"] in ("waiting", "unconfirmed", "failed")
        and not prompt_may_be_answered
    )
    return _with_words(status)


def _with_words(status: dict) -> dict:
    headline, title = STATE_WORDS[status["state"]]
    status["headline"] = str(status.get("headline") or headline)
    status["title"] = str(title)
    status["tone"] = STATE_TONES.get(status["state"], "info")
    return status


def prompt_seconds_left(attempt: MpesaPaymentAttempt) -> int:
    """How long the open prompt may still be answered before a new one may be sent
    (``MPESA_PROMPT_TIMEOUT_SECONDS`` after it went out): the waiting page's countdown."""
    ends = attempt.created_at + timedelta(seconds=settings.MPESA_PROMPT_TIMEOUT_SECONDS)
    return max(0, math.ceil((ends - timezone.now()).total_seconds()))


def part_payment_text(money: services.OrderMoney) -> str:
    """ "Paid KSh 1,000 of KSh 3,150 — balance KSh 2,150": one wording for the customer's
    pages and staff's."""
    return _("Paid %(received)s of %(due)s — balance %(balance)s") % {
        "received": ksh(money.received),
        "due": ksh(money.due),
        "balance": ksh(money.balance),
    }
