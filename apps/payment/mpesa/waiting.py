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

from datetime import datetime, timedelta

from django.conf import settings
from django.core.signing import BadSignature, Signer
from django.db.models import Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
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


def payment_status(order_number: str) -> dict:
    """What the waiting page shows, derived from the order and its latest attempt."""
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
        "message": _("Sending the payment prompt to your phone…"),
        "order_status": order.status if order else "",
        "receipt": None,
        "can_resend": False,
        # The link opens the page for anyone who has it: the number shows only in part.
        "phone": mask_local_phone(attempt.phone) if attempt else "",
        "amount": str(attempt.amount) if attempt else "",
        "amount_due": "",
        "amount_received": "",
        "balance": "",
        "balance_display": "",
        "part_payment": "",
    }
    if order is None or attempt is None:
        return status
    money = services.order_money(order)
    status.update(
        amount_due=str(money.due),
        amount_received=str(money.received),
        balance=str(money.balance),
        balance_display=ksh(money.balance),
    )
    if order.status == services.ORDER_PENDING and money.is_part_paid:
        status["part_payment"] = part_payment_text(money)
    if order.status in PAID_STATUSES:
        paid = order.mpesa_attempts.filter(status=MpesaPaymentAttempt.Status.SUCCEEDED).first()
        status.update(
            state="paid",
            message=_("Payment received. Thank you!"),
            receipt=paid.receipt_number if paid else None,
        )
    elif order.status == services.ORDER_CANCELLED:
        status.update(
            state="cancelled",
            message=_("This order was cancelled because no payment arrived in time."),
        )
    elif attempt.status in (attempt.Status.CREATED, attempt.Status.PENDING):
        status.update(state="waiting", message=_("Check your phone and enter your M-Pesa PIN."))
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
                "Part of the payment arrived. Pay the balance with a new prompt, or by "
                "Paybill, and your order is complete."
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
            can_resend=True,
            message=_("The prompt expired without an answer. Send it again when you are ready."),
        )
    else:
        status.update(
            state="failed",
            can_resend=True,
            message=(
                customer_message_for_result(attempt.result_code, attempt.result_desc)
                if attempt.status == attempt.Status.FAILED
                else attempt.result_desc or _("M-Pesa could not send the prompt.")
            ),
        )
    return status


def part_payment_text(money: services.OrderMoney) -> str:
    """ "Paid KSh 1,000 of KSh 3,150 — balance KSh 2,150": one wording for the customer's
    pages and staff's."""
    return _("Paid %(received)s of %(due)s — balance %(balance)s") % {
        "received": ksh(money.received),
        "due": ksh(money.due),
        "balance": ksh(money.balance),
    }
