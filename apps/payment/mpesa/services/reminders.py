"""The "pay your order" email: a guest's order still unpaid a few minutes after it was
placed (its prompt failed, timed out or was never answered) gets its payment link by
email once, so a guest who closed the page can still pay. Signed-in shoppers find the
order under "My orders" with Pay now and get no reminder.

Queued in the outbox (``OrderEmail``, kind ``pay_reminder``): its unique constraint makes
it once per order however many reconcile runs see the order at the same time; the sender
sends nothing for an order paid or cancelled meanwhile.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from oscar.core.loading import get_model

from apps.payment.models import OrderEmail

from .. import emails
from .common import ORDER_PENDING

Order = get_model("order", "Order")


def pay_reminders_queue(*, now: datetime | None = None) -> int:
    """Queue the reminder for every guest order unpaid ``MPESA_PAY_REMINDER_MINUTES``
    after it was placed (and not yet expired); how many were queued."""
    minutes = settings.MPESA_PAY_REMINDER_MINUTES
    if minutes <= 0:
        return 0
    now = now or timezone.now()
    due = (
        Order.objects.filter(
            status=ORDER_PENDING,
            user__isnull=True,
            date_placed__lte=now - timedelta(minutes=minutes),
            date_placed__gt=now - timedelta(minutes=settings.MPESA_ORDER_EXPIRY_MINUTES),
        )
        .exclude(guest_email="")
        .exclude(emails__kind=OrderEmail.Kind.PAY_REMINDER)
        .values_list("pk", flat=True)
    )
    queued = 0
    for order_id in list(due):
        with transaction.atomic():
            emails.order_email_queue(order_id=order_id, kind=OrderEmail.Kind.PAY_REMINDER)
        queued += 1
    return queued
