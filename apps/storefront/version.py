"""The catalogue version as this process knows it: read from the database at most once
every ``SHOP_CACHE_STALENESS_SECONDS`` (1 s by default), so a change shows on the next
page view of every process within that bound, for one small query a second per process.

The version is the database's number (``apps.storefront.triggers`` advances it) and the
count of offer start and end times already passed, so an offer starting or ending at a
set time is a change too, with no write at all.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .triggers import VERSION_TABLE

_READ = f"""
    SELECT v.version,
        (SELECT COUNT(*) FROM offer_conditionaloffer WHERE start_datetime <= %s)
        + (SELECT COUNT(*) FROM offer_conditionaloffer WHERE end_datetime <= %s)
    FROM {VERSION_TABLE} v WHERE v.id = 1
"""


class _Known:
    def __init__(self) -> None:
        self.value: str | None = None
        self.read_at = 0.0
        self.lock = threading.Lock()


_known = _Known()


def read_catalogue_version() -> str:
    """The version as the database has it now (one query)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_READ, [now, now])
        row = cursor.fetchone()
    if row is None:  # no version row: every page is as new as this process
        return "0.0"
    return f"{row[0]}.{row[1]}"


def catalogue_version() -> str:
    """The version, read again once the last read is ``SHOP_CACHE_STALENESS_SECONDS`` old."""
    staleness = settings.SHOP_CACHE_STALENESS_SECONDS
    started = time.monotonic()
    if _known.value is not None and started - _known.read_at < staleness:
        return _known.value
    value = read_catalogue_version()
    with _known.lock:
        # The bound counts from before the read: what it saw is at least that fresh.
        if started >= _known.read_at:
            _known.value, _known.read_at = value, started
    return value


def forget() -> None:
    """Read the version again next time (tests; a process that changed the catalogue)."""
    with _known.lock:
        _known.value, _known.read_at = None, 0.0
