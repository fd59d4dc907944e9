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

from django.db import connection
from django.db.models import Sum

from apps.shop.models import OrderCount, OrderLineCount

# One statement per table, so exact without locks: it removes the rows it sees of every
# status that has more than one and inserts their sums. Rows a concurrent writer has not
# committed yet are not seen, so they stay as they are; a concurrent fold skips rows this
# one removed.
FOLD_ORDER_COUNTS_SQL = """
WITH folded AS (
    DELETE FROM {table}
    WHERE status IN (SELECT status FROM {table} GROUP BY status HAVING COUNT(*) > 1)
    RETURNING status, count, total_incl_tax
), added AS (
    INSERT INTO {table} (status, count, total_incl_tax)
    SELECT status, SUM(count), SUM(total_incl_tax) FROM folded GROUP BY status
    HAVING SUM(count) <> 0 OR SUM(total_incl_tax) <> 0
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM folded), (SELECT COUNT(*) FROM added)
"""
FOLD_LINE_COUNTS_SQL = """
WITH folded AS (
    DELETE FROM {table} WHERE (SELECT COUNT(*) FROM {table}) > 1 RETURNING count
), added AS (
    INSERT INTO {table} (count) SELECT SUM(count) FROM folded HAVING SUM(count) <> 0
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM folded), (SELECT COUNT(*) FROM added)
"""


@dataclass(frozen=True)
class FoldReport:
    rows_before: int
    rows_after: int


@dataclass(frozen=True)
class StatusTotal:
    status: str
    count: int
    total_incl_tax: Decimal


def order_counts_kept() -> bool:
    """PostgreSQL keeps the order counts (triggers); SQLite counts the orders."""
    return connection.vendor == "postgresql"


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
    if not order_counts_kept():
        return FoldReport(0, 0)
    before = after = 0
    with connection.cursor() as cursor:
        for sql, model in (
            (FOLD_ORDER_COUNTS_SQL, OrderCount),
            (FOLD_LINE_COUNTS_SQL, OrderLineCount),
        ):
            cursor.execute(sql.format(table=model._meta.db_table))
            removed, added = cursor.fetchone()
            before, after = before + removed, after + added
    return FoldReport(rows_before=before, rows_after=after)
