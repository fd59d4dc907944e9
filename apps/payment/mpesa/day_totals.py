"""The day totals of the M-Pesa log (``MpesaDayTotal``): whether this database keeps
them, and folding the rows its triggers add into one row per key.

The triggers only ever insert (one row per statement and key, with the change), so that
payments settling at the same moment never queue for one shared row. Folding keeps the
table about as long as the number of days times the keys in use, whatever the number of
transactions; ``mpesa_reconcile`` does it every minute.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from apps.payment.models import MpesaDayTotal

KEY = "day, status, channel, is_test, needs_attention"

# One statement, so exact without locks: it removes the rows it sees of every key that has
# more than one, and inserts their sums. Rows a concurrent writer has not committed yet
# are not seen, so they stay as they are; a concurrent fold skips rows this one removed.
FOLD_SQL = f"""
WITH folded AS (
    DELETE FROM {{table}}
    WHERE ({KEY}) IN (SELECT {KEY} FROM {{table}} GROUP BY {KEY} HAVING COUNT(*) > 1)
    RETURNING {KEY}, count, amount, amount_paid
), added AS (
    INSERT INTO {{table}} ({KEY}, count, amount, amount_paid)
    SELECT {KEY}, SUM(count), SUM(amount), SUM(amount_paid) FROM folded
    GROUP BY {KEY}
    HAVING SUM(count) <> 0 OR SUM(amount) <> 0 OR SUM(amount_paid) <> 0
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM folded), (SELECT COUNT(*) FROM added)
"""


@dataclass(frozen=True)
class FoldReport:
    rows_before: int
    rows_after: int


def day_totals_kept() -> bool:
    """PostgreSQL keeps the day totals (triggers); SQLite counts the transactions."""
    return connection.vendor == "postgresql"


def day_totals_fold() -> FoldReport:
    """Fold the day-total rows that share a key into one; the sums stay the same."""
    if not day_totals_kept():
        return FoldReport(0, 0)
    with connection.cursor() as cursor:
        cursor.execute(FOLD_SQL.format(table=MpesaDayTotal._meta.db_table))
        rows_before, rows_after = cursor.fetchone()
    return FoldReport(rows_before=rows_before, rows_after=rows_after)
