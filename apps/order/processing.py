"""The shop's order effects, in Oscar's hook for them: its dashboard's status changes (the
order page and the order list) come here."""

from django.db import transaction
from oscar.apps.order.processing import EventHandler as CoreEventHandler

from apps.common.money import ksh
from apps.order import statuses as order_statuses


class EventHandler(CoreEventHandler):
    def handle_order_status_change(self, order, new_status, note_msg=None):
        """Oscar's status change, through the gate of ``Order.set_status``: a change that
        would make the order Paid without its money (or a paid order wait for payment
        again) raises ``OrderStatusRefused`` and changes nothing.

        Cancelling an order releases its stock and flags the money it holds for a refund,
        in the same transaction as the status.
        """
        old_status = order.status
        with transaction.atomic():
            super().handle_order_status_change(order, new_status, note_msg=note_msg)
            if new_status == order_statuses.CANCELLED and old_status != new_status:
                self.handle_order_cancelled(order)

    def handle_order_cancelled(self, order) -> None:
        """What cancelling an order does besides its status: its stock goes back on sale
        and the money it holds is flagged for a refund."""
        self.cancel_stock_allocations(order)
        self.money_held_flag_for_refund(order)

    def money_held_flag_for_refund(self, order) -> None:
        """Never cancel money silently: a cancelled order that holds money gets a note
        saying so, and each M-Pesa payment recorded on it goes to the M-Pesa inbox with
        the reason, for staff to refund."""
        received = order.amount_received()
        if received <= 0:
            return
        reason = f"Order {order.number} was cancelled holding {ksh(received)}: refund"
        self.create_note(order, reason)
        # The payment app sits above the order app (its models point at Order), so it is
        # imported when an order is cancelled, never while the order app loads.
        from apps.payment.models import MpesaPaymentAttempt
        from apps.payment.mpesa import services

        with_money = (MpesaPaymentAttempt.Status.SUCCEEDED, MpesaPaymentAttempt.Status.REVIEW)
        attempts = MpesaPaymentAttempt.objects.filter(
            order=order, recorded_on_order=True, status__in=with_money
        ).order_by("pk")
        for attempt in attempts:
            services.attempt_flag(attempt=attempt, reason=reason, actor=self.user)
