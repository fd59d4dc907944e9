"""The number and value of orders per status, and the number of order lines, for the
staff's overview and order list.

Each is one aggregate query over the orders (lines), kept for a few seconds
(``apps.reporting.staff_cache``): with 100,000 orders the count per status takes tens of
milliseconds, so views in quick succession read it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from oscar.core.loading import get_model

from apps.reporting.staff_cache import staff_totals_cached

Line = get_model("order", "Line")
Order = get_model("order", "Order")


@dataclass(frozen=True)
class StatusTotal:
    status: str
    count: int
    total_incl_tax: Decimal


def order_totals_by_status() -> list[StatusTotal]:
    """Each status that has orders, with their number and value, by status."""
    return staff_totals_cached("order-totals-by-status", _order_totals_by_status)


def _order_totals_by_status() -> list[StatusTotal]:
    rows = (
        Order._default_manager.order_by("status")
        .values("status")
        .annotate(n=Count("pk"), value=Sum("total_incl_tax"))
    )
    return [StatusTotal(row["status"], row["n"], row["value"]) for row in rows]


def order_count(status: str | None = None) -> int:
    """How many orders there are (with ``status``, if given)."""
    return sum(
        row.count for row in order_totals_by_status() if status is None or row.status == status
    )


def order_line_count() -> int:
    """How many order lines there are."""
    return staff_totals_cached("order-line-count", Line._default_manager.count)
