"""Revenue: the money the shop has received for its orders, and the orders' money it has
not, as the dashboard's overview and order report show them.

Revenue is the value of the orders in the paid family of statuses (``Paid`` and every
status after it in ``OSCAR_ORDER_STATUS_PIPELINE`` but ``Cancelled``). That reads truer
than adding up the M-Pesa sources' debits less their refunds, for three reasons:

- An order reaches ``Paid`` only through the payment service, and only once money covering
  its total is recorded on it: a paid order's total is money received.
- The sources also hold money that is not the shop's to count: a part payment on an order
  still awaiting its balance (shown apart, with that order), and money on a cancelled or
  overpaid order that is flagged to be refunded.
- Every status's number and value of orders is one query over the orders
  (``apps.reporting.order_counts``), kept for a few seconds; summing the sources would
  read every source and its transactions as well.

Orders awaiting payment are counted apart and labelled so; cancelled orders are in
neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from apps.order.statuses import CANCELLED, PAID_STATUSES
from apps.order.statuses import PENDING_PAYMENT as AWAITING_PAYMENT
from apps.reporting.order_counts import StatusTotal

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Revenue:
    """Orders' number and value: paid (revenue), awaiting payment, and cancelled."""

    paid_orders: int = 0
    paid: Decimal = ZERO
    awaiting_orders: int = 0
    awaiting: Decimal = ZERO
    cancelled_orders: int = 0
    cancelled: Decimal = ZERO

    @property
    def average_paid_order(self) -> Decimal:
        if not self.paid_orders:
            return ZERO
        return (self.paid / self.paid_orders).quantize(Decimal("0.01"))


def revenue_from_status_totals(rows: Iterable[StatusTotal]) -> Revenue:
    """Revenue from the orders' totals per status (or any such rows)."""
    figures: dict[str, tuple[int, Decimal]] = {}
    for row in rows:
        family = _family(row.status)
        if family:
            count, value = figures.get(family, (0, ZERO))
            figures[family] = (count + row.count, value + row.total_incl_tax)
    return Revenue(
        **{
            field: figure
            for family, (count, value) in figures.items()
            for field, figure in ((f"{family}_orders", count), (family, value))
        }
    )


def revenue_aggregates(prefix: str = "") -> dict:
    """Aggregates for ``QuerySet.aggregate`` that give an order queryset's revenue in
    the one query (``revenue_from_aggregate`` reads them back)."""
    families = {
        "paid": Q(status__in=PAID_STATUSES),
        "awaiting": Q(status=AWAITING_PAYMENT),
        "cancelled": Q(status=CANCELLED),
    }
    aggregates = {}
    for family, condition in families.items():
        aggregates[f"{prefix}{family}_orders"] = Count("pk", filter=condition)
        aggregates[f"{prefix}{family}"] = Sum("total_incl_tax", filter=condition)
    return aggregates


def revenue_from_aggregate(values: dict, prefix: str = "") -> Revenue:
    return Revenue(
        **{
            field: values[f"{prefix}{field}"] or (0 if field.endswith("_orders") else ZERO)
            for field in Revenue.__dataclass_fields__
        }
    )


def orders_revenue(orders) -> Revenue:
    """The revenue of an order queryset, in one query."""
    return revenue_from_aggregate(orders.aggregate(**revenue_aggregates()))


def _family(status: str) -> str | None:
    if status in PAID_STATUSES:
        return "paid"
    if status == AWAITING_PAYMENT:
        return "awaiting"
    if status == CANCELLED:
        return "cancelled"
    return None
