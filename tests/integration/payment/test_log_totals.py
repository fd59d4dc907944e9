"""The M-Pesa log's totals row (count, requested, paid) for any filter staff pick is
exactly that of the transactions the same filter lists, whatever wrote them (the
services, a bulk insert, a bulk update, a save, a delete), on PostgreSQL and SQLite alike.
Days are the shop's calendar days, read in the time zone when the filter runs. Kept for
``SHOP_STAFF_TOTALS_CACHE_SECONDS``, the totals are at most that far behind; a search is
never kept.
"""

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa import selectors, services
from apps.payment.mpesa.selectors import AttemptFilters, AttemptTotals
from tests.functional.dashboard.conftest import attempt_row

from .conftest import initiate

Status = MpesaPaymentAttempt.Status
Channel = MpesaPaymentAttempt.Channel

NOW = timezone.now()
TODAY = timezone.localdate(NOW)
FILTERS = [
    AttemptFilters(),
    AttemptFilters(status=Status.SUCCEEDED),
    AttemptFilters(status=Status.FAILED),
    AttemptFilters(status=Status.PENDING),
    AttemptFilters(channel=Channel.PAYBILL),
    AttemptFilters(is_test=True),
    AttemptFilters(is_test=False, needs_attention=False),
    AttemptFilters(needs_attention=True),
    AttemptFilters(date_from=TODAY),
    AttemptFilters(date_to=TODAY - timedelta(days=1)),
    AttemptFilters(date_from=TODAY - timedelta(days=3), date_to=TODAY - timedelta(days=2)),
    AttemptFilters(status=Status.SUCCEEDED, channel=Channel.STK_PUSH, date_from=TODAY),
]


def listed(filters: AttemptFilters) -> AttemptTotals:
    """The totals of exactly the transactions the list shows for these filters, added up
    here, row by row."""
    rows = list(selectors.attempt_list(filters=filters))
    return AttemptTotals(
        count=len(rows),
        amount_requested=sum((row.amount for row in rows), Decimal("0")),
        amount_paid=sum((row.amount_paid or Decimal("0") for row in rows), Decimal("0")),
    )


def assert_totals_exact() -> None:
    for filters in FILTERS:
        assert selectors.attempt_totals(filters=filters) == listed(filters), filters


def days_ago(days: int, hour: int = 12) -> datetime:
    day = TODAY - timedelta(days=days)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.mark.django_db
def test_totals_are_those_of_the_listed_transactions_whatever_writes_them(daraja, pending_order):
    MpesaPaymentAttempt.objects.bulk_create(
        [attempt_row(created_at=days_ago(n % 5, hour=n % 24)) for n in range(40)]
        + [attempt_row(channel=Channel.PAYBILL, checkout_request_id=None) for _ in range(3)]
    )
    assert_totals_exact()

    attempt = initiate(pending_order)  # the services: a pending prompt today
    assert_totals_exact()
    services.attempt_settle(
        attempt_id=attempt.pk,
        outcome=services.SettleInput(
            success=True,
            result_code="0",
            result_desc="ok",
            receipt_number="QLOGTOTAL1",
            amount_paid=Decimal("1000"),  # not what was asked: review, needs attention
        ),
    )
    assert MpesaPaymentAttempt.objects.get(pk=attempt.pk).needs_attention
    assert_totals_exact()

    old = MpesaPaymentAttempt.objects.filter(created_at__lt=days_ago(1, hour=0))
    old.filter(pk__in=old.values("pk")[:7]).update(
        status=Status.FAILED, amount_paid=None, receipt_number=None
    )
    MpesaPaymentAttempt.objects.filter(channel=Channel.PAYBILL).update(amount=Decimal("77.50"))
    moved = MpesaPaymentAttempt.objects.filter(created_at__gte=days_ago(0, hour=0)).first()
    moved.created_at = days_ago(3)
    moved.save()
    MpesaPaymentAttempt.objects.filter(pk=old.first().pk).update(is_test=True)
    MpesaPaymentAttempt.objects.filter(status=Status.SUCCEEDED).last().delete()
    assert_totals_exact()


@pytest.mark.django_db
def test_a_day_is_the_shops_calendar_day_in_the_time_zone_of_the_moment():
    # 22:30 in UTC is 01:30 the next morning in Nairobi.
    late = datetime.combine(TODAY - timedelta(days=2), datetime.min.time(), UTC) + timedelta(
        hours=22, minutes=30
    )
    attempt_row(created_at=late).save()
    day_before, that_day = TODAY - timedelta(days=2), TODAY - timedelta(days=1)

    assert timezone.get_current_timezone_name() == "Africa/Nairobi"
    assert selectors.attempt_totals(filters=AttemptFilters(date_to=day_before)).count == 0
    assert selectors.attempt_totals(filters=AttemptFilters(date_from=that_day)).count == 1
    # Nothing fixed the day when the transaction was written: read in UTC, it is the 22:30
    # of the day before.
    with timezone.override(ZoneInfo("UTC")):
        assert selectors.attempt_totals(filters=AttemptFilters(date_to=day_before)).count == 1
        assert selectors.attempt_totals(filters=AttemptFilters(date_from=that_day)).count == 0


@pytest.mark.django_db
def test_totals_are_kept_for_the_bound_and_a_search_never(settings):
    settings.SHOP_STAFF_TOTALS_CACHE_SECONDS = 2  # room for a busy machine
    paid = AttemptFilters(status=Status.SUCCEEDED)
    searched = AttemptFilters(status=Status.SUCCEEDED, query="254712345678")
    attempt_row().save()
    assert selectors.attempt_totals(filters=paid).count == 1
    assert selectors.attempt_totals(filters=searched).count == 1

    attempt_row().save()
    attempt_row(status=Status.FAILED, amount_paid=None, receipt_number=None).save()
    with CaptureQueriesContext(connection) as within_the_bound:
        assert selectors.attempt_totals(filters=paid).count == 1
    assert len(within_the_bound) == 0
    assert selectors.attempt_totals(filters=searched).count == 2
    # Each filter is kept apart from the others.
    assert selectors.attempt_totals(filters=AttemptFilters(status=Status.FAILED)).count == 1
    assert selectors.attempt_totals(filters=AttemptFilters()).count == 3

    time.sleep(2.1)
    assert selectors.attempt_totals(filters=paid) == listed(paid)
    assert listed(paid).count == 2
