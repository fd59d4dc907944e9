"""Totals the database keeps with triggers (the M-Pesa day totals, the order counts):
whether this database keeps them, and folding the rows the triggers add.

The triggers only ever insert, one row per statement and key with the change, so that
writers at the same moment never queue for one shared row. Folding replaces the rows of
each key by one row of their sums; ``mpesa_reconcile`` does it every minute, so a table
stays about as long as the number of keys in use, whatever the number of writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, models


@dataclass(frozen=True)
class FoldReport:
    rows_before: int
    rows_after: int

    def __add__(self, other: FoldReport) -> FoldReport:
        return FoldReport(self.rows_before + other.rows_before, self.rows_after + other.rows_after)


def totals_kept() -> bool:
    """PostgreSQL keeps the totals (triggers); SQLite adds up the rows themselves."""
    return connection.vendor == "postgresql"


def fold_sql(table: str, key: Sequence[str], sums: Sequence[str]) -> str:
    """One statement, so exact without locks: it removes the rows it sees of every key
    that has more than one (with no key, all rows if there are several) and inserts their
    sums. Rows a concurrent writer has not committed yet are not seen, so they stay as
    they are; a concurrent fold skips rows this one removed."""
    columns = ", ".join([*key, *sums])
    if key:
        keys = ", ".join(key)
        several = f"({keys}) IN (SELECT {keys} FROM {table} GROUP BY {keys} HAVING COUNT(*) > 1)"
        group_by = f"GROUP BY {keys}"
    else:
        several, group_by = f"(SELECT COUNT(*) FROM {table}) > 1", ""
    summed = ", ".join([*key, *(f"SUM({column})" for column in sums)])
    nonzero = " OR ".join(f"SUM({column}) <> 0" for column in sums)
    return f"""
WITH folded AS (
    DELETE FROM {table} WHERE {several} RETURNING {columns}
), added AS (
    INSERT INTO {table} ({columns})
    SELECT {summed} FROM folded {group_by} HAVING {nonzero}
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM folded), (SELECT COUNT(*) FROM added)
"""


def fold(model: type[models.Model], *, key: Sequence[str], sums: Sequence[str]) -> FoldReport:
    """Fold ``model``'s rows that share ``key`` into one; the sums stay the same."""
    if not totals_kept():
        return FoldReport(0, 0)
    with connection.cursor() as cursor:
        cursor.execute(fold_sql(model._meta.db_table, key, sums))
        rows_before, rows_after = cursor.fetchone()
    return FoldReport(rows_before=rows_before, rows_after=rows_after)
