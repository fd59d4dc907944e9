"""The day totals of the M-Pesa log (``MpesaDayTotal``): whether this database keeps
them, and folding the rows its triggers add into one row per key.

The triggers only ever insert (one row per statement and key, with the change), so that
payments settling at the same moment never queue for one shared row. Folding keeps the
table about as long as the number of days times the keys in use, whatever the number of
transactions; ``mpesa_reconcile`` does it every minute.
"""

from __future__ import annotations

from apps.payment.models import MpesaDayTotal
from apps.reporting.kept_totals import FoldReport, fold, totals_kept

KEY = ("day", "status", "channel", "is_test", "needs_attention")
SUMS = ("count", "amount", "amount_paid")


def day_totals_kept() -> bool:
    """PostgreSQL keeps the day totals (triggers); SQLite counts the transactions."""
    return totals_kept()


def day_totals_fold() -> FoldReport:
    """Fold the day-total rows that share a key into one; the sums stay the same."""
    return fold(MpesaDayTotal, key=KEY, sums=SUMS)
