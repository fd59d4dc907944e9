"""The number and value of orders per status, and the number of order lines, as the
database keeps them (``OrderCount``, ``OrderLineCount``): read by the dashboard, folded
by ``mpesa_reconcile``.

The triggers only ever insert (one row per statement and status, with the change), so
that orders placed or moved at the same moment never queue for one shared row. Folding
keeps the tables to about one row per status, whatever the number of orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from apps.reporting.kept_totals import FoldReport, fold, totals_kept
from apps.reporting.models import OrderCount, OrderLineCount


@dataclass(frozen=True)
class StatusTotal:
    status: str
    count: int
    total_incl_tax: Decimal


def order_counts_kept() -> bool:
    """PostgreSQL keeps the order counts (triggers); SQLite counts the orders."""
    return totals_kept()


def order_count(status: str | None = None) -> int | None:
    """How many orders there are (with ``status``, if given); None where the database
    keeps no counts, so the caller counts the orders themselves."""
    if not order_counts_kept():
        return None
    rows = OrderCount.objects.all() if status is None else OrderCount.objects.filter(status=status)
    return rows.aggregate(total=Sum("count"))["total"] or 0


def order_totals_by_status() -> list[StatusTotal] | None:
    """Each status that has orders, with their number and value, by status; None where
    the database keeps no counts."""
    if not order_counts_kept():
        return None
    rows = (
        OrderCount.objects.values("status")
        .annotate(n=Sum("count"), value=Sum("total_incl_tax"))
        .filter(n__gt=0)
        .order_by("status")
    )
    return [StatusTotal(row["status"], row["n"], row["value"]) for row in rows]


def order_line_count() -> int | None:
    """How many order lines there are; None where the database keeps no counts."""
    if not order_counts_kept():
        return None
    return OrderLineCount.objects.aggregate(total=Sum("count"))["total"] or 0


def order_counts_fold() -> FoldReport:
    """Fold the rows that share a status (and the line counts) into one; the figures
    stay the same."""
    return fold(OrderCount, key=("status",), sums=("count", "total_incl_tax")) + fold(
        OrderLineCount, key=(), sums=("count",)
    )
