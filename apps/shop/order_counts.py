"""The number of orders, per status, as the database keeps it (``OrderCount``): read for
the dashboard's order list, folded by ``mpesa_reconcile``.

The triggers only ever insert (one row per statement and status, with the change), so
that orders placed or moved at the same moment never queue for one shared row. Folding
keeps the table to about one row per status, whatever the number of orders.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Sum

from apps.shop.models import OrderCount

# One statement, so exact without locks: it removes the rows it sees of every status that
# has more than one and inserts their sums. Rows a concurrent writer has not committed
# yet are not seen, so they stay as they are; a concurrent fold skips rows this one removed.
FOLD_SQL = """
WITH folded AS (
    DELETE FROM {table}
    WHERE status IN (SELECT status FROM {table} GROUP BY status HAVING COUNT(*) > 1)
    RETURNING status, count
), added AS (
    INSERT INTO {table} (status, count)
    SELECT status, SUM(count) FROM folded GROUP BY status HAVING SUM(count) <> 0
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM folded), (SELECT COUNT(*) FROM added)
"""


@dataclass(frozen=True)
class FoldReport:
    rows_before: int
    rows_after: int


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


def order_counts_fold() -> FoldReport:
    """Fold the rows that share a status into one; the counts stay the same."""
    if not order_counts_kept():
        return FoldReport(0, 0)
    with connection.cursor() as cursor:
        cursor.execute(FOLD_SQL.format(table=OrderCount._meta.db_table))
        rows_before, rows_after = cursor.fetchone()
    return FoldReport(rows_before=rows_before, rows_after=rows_after)
