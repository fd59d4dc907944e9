"""Staff figures kept for a few seconds: the all-time totals a staff page shows (orders
per status, order lines, the M-Pesa log's totals) are plain aggregate queries, which read
every row they add up; kept in the cache for ``SHOP_STAFF_TOTALS_CACHE_SECONDS``, staff
moving between pages, paging a list or reloading read them once in that time.

The bound is time, not a signal: a figure is at most that many seconds behind whatever
wrote the rows (the shop, Oscar's dashboard, a bulk update, SQL, another machine). 0 reads
them on every view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")

KEY_PREFIX = "staff-totals"


def staff_totals_cached(key: str, compute: Callable[[], T]) -> T:
    """``compute()``, or its answer of less than ``SHOP_STAFF_TOTALS_CACHE_SECONDS`` ago
    under ``key``. A cache that cannot answer (Redis down) reads as a miss."""
    seconds = settings.SHOP_STAFF_TOTALS_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    cache_key = f"{KEY_PREFIX}:{key}"
    found = cache.get(cache_key)
    if found is not None:
        return found
    figures = compute()
    cache.set(cache_key, figures, seconds)
    return figures
