"""Oscar's orders, with the money facts the status rules read and the gate that keeps Paid
for orders whose money is recorded.

One road leads to Paid: the payment service records the money on the order (a debited
M-Pesa source with its receipt) and then moves the status, with a conditional UPDATE
(``apps.payment.mpesa.services.settle``). Every other way Oscar and Django offer to change
a status goes through ``set_status`` or ``save`` below — Oscar's status forms, its line
status form, the order list's bulk change, its ``EventHandler``, the Django admin, a
shell — and is refused while the money recorded does not cover what the order is due.
"""

import math
from decimal import Decimal

from django.db.models import F, Sum
from oscar.apps.order.abstract_models import AbstractLine, AbstractOrder

from apps.common.money import ksh
from apps.order import statuses as order_statuses

from .exceptions import LineStatusRefused, OrderStatusRefused

#: The M-Pesa dashboard's action for money staff have checked: what a refusal sends them to.
MARK_PAID = "“Mark paid with receipt”"


def _is_paid(status: str | None) -> bool:
    return status in order_statuses.PAID_STATUSES


class Order(AbstractOrder):
    @property
    def amount_due(self) -> Decimal:
        """Whole shillings the customer is asked for: the total rounded up to a shilling,
        as M-Pesa moves whole shillings only (the number the payment service prompts)."""
        return Decimal(math.ceil(self.total_incl_tax))

    def amount_received(self) -> Decimal:
        """The money recorded on the order: what its payment sources debited, less what
        they refunded (one query)."""
        totals = self.sources.aggregate(received=Sum(F("amount_debited") - F("amount_refunded")))
        return totals["received"] or Decimal(0)

    def money_covers_amount_due(self) -> bool:
        return self.amount_received() >= self.amount_due

    def status_change_refusal(self, old_status: str | None, new_status: str) -> str | None:
        """Why the order may not move from ``old_status`` to ``new_status``, or None.

        Reaching Paid (or any status after it) from an unpaid status needs money covering
        the amount due recorded on the order; a paid order never waits for payment again.
        Only a change that crosses into the paid family reads the money.
        """
        if old_status == new_status:
            return None
        if _is_paid(old_status) and new_status == order_statuses.PENDING_PAYMENT:
            return (
                f"Order {self.number} is {old_status} and cannot go back to "
                f"{order_statuses.PENDING_PAYMENT}: its money is recorded. Its M-Pesa "
                f"payments are changed in the M-Pesa dashboard ({MARK_PAID}, match, "
                f"resolve)."
            )
        if _is_paid(new_status) and not _is_paid(old_status):
            received = self.amount_received()
            if received < self.amount_due:
                return (
                    f"Order {self.number} cannot be {new_status}: it has received "
                    f"{ksh(received)} of the {ksh(self.amount_due)} it is due. An order is "
                    f"paid when its money is recorded: use {MARK_PAID} on its M-Pesa "
                    f"transaction (Dashboard → M-Pesa)."
                )
        return None

    def set_status(self, new_status):
        """Oscar's ``set_status``, refused (nothing changed) when the change would break
        the one road to Paid."""
        refusal = self.status_change_refusal(self.status, new_status)
        if refusal:
            raise OrderStatusRefused(refusal)
        super().set_status(new_status)

    set_status.alters_data = True

    @classmethod
    def from_db(cls, db, field_names, values):
        order = super().from_db(db, field_names, values)
        # The status as read, so that save() knows a status change when it sees one.
        order._status_in_db = order.__dict__.get("status")
        return order

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "status" in fields:
            self._status_in_db = self.__dict__.get("status")

    def save(self, *args, **kwargs):
        """Saved as Oscar saves it, unless the status was changed in a way
        ``set_status`` would refuse (the Django admin, a shell): then nothing is saved."""
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and (update_fields is None or "status" in update_fields):
            refusal = self.status_change_refusal(self._status_before_save(), self.status)
            if refusal:
                raise OrderStatusRefused(refusal)
        super().save(*args, **kwargs)
        self._status_in_db = self.status

    def _status_before_save(self) -> str | None:
        status = getattr(self, "_status_in_db", None)
        if status is None and self.pk is not None:
            status = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
        return status


class Line(AbstractLine):
    def set_status(self, new_status):
        """Oscar's ``set_status``, refused (nothing changed) on the order's terms: a line is
        Paid only when its order's money is recorded."""
        refusal = self.order.status_change_refusal(self.status, new_status)
        if refusal:
            raise LineStatusRefused(f"Line #{self.pk}: {refusal}")
        super().set_status(new_status)

    set_status.alters_data = True


from oscar.apps.order.models import *  # noqa: E402, F403
