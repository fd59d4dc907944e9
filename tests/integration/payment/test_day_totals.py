"""The day totals PostgreSQL keeps for the M-Pesa log: whatever writes the transactions
(the services, a bulk insert, a raw update, a delete), the totals the dashboard shows for
any filter are exactly those of the transactions the same filter lists, before and after
folding, and a fold never loses a change another transaction has not committed yet.

SQLite keeps no day totals (the dashboard counts the transactions there), so these run
on PostgreSQL only, as in CI.
"""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from apps.payment.models import MpesaDayTotal, MpesaPaymentAttempt
from apps.payment.mpesa import selectors, services
from apps.payment.mpesa.day_totals import day_totals_fold
from apps.payment.mpesa.selectors import AttemptFilters
from tests.functional.dashboard.conftest import attempt_row

from .conftest import initiate

Status = MpesaPaymentAttempt.Status
Channel = MpesaPaymentAttempt.Channel

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL keeps the day totals (CI runs it)"
)

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


def counted(filters: AttemptFilters) -> selectors.AttemptTotals:
    """The totals of exactly the transactions the list shows for these filters."""
    totals = (
        selectors.attempt_list(filters=filters)
        .order_by()
        .aggregate(count=Count("pk"), requested=Sum("amount"), paid=Sum("amount_paid"))
    )
    return selectors.AttemptTotals(
        count=totals["count"],
        amount_requested=totals["requested"] or Decimal("0"),
        amount_paid=totals["paid"] or Decimal("0"),
    )


def assert_totals_exact() -> None:
    for filters in FILTERS:
        assert selectors.attempt_totals(filters=filters) == counted(filters), filters


def days_ago(days: int, hour: int = 12) -> datetime:
    day = TODAY - timedelta(days=days)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.mark.django_db
def test_totals_stay_exact_whatever_writes_the_transactions(daraja, pending_order):
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
            receipt_number="QDAYTOTAL1",
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

    day_totals_fold()
    assert_totals_exact()


@pytest.mark.django_db
def test_a_day_is_the_shops_calendar_day():
    # 22:30 in UTC is 01:30 the next morning in Nairobi.
    late = datetime.combine(TODAY - timedelta(days=2), datetime.min.time(), UTC) + timedelta(
        hours=22, minutes=30
    )
    attempt_row(created_at=late).save()

    assert MpesaDayTotal.objects.get().day == TODAY - timedelta(days=1)
    assert selectors.attempt_totals(filters=AttemptFilters(date_to=TODAY - timedelta(days=2))) == (
        counted(AttemptFilters(date_to=TODAY - timedelta(days=2)))
    )
    assert counted(AttemptFilters(date_from=TODAY - timedelta(days=1))).count == 1


@pytest.mark.django_db
def test_writes_that_change_no_total_add_no_rows():
    attempt = attempt_row()
    attempt.save()
    rows = MpesaDayTotal.objects.count()

    MpesaPaymentAttempt.objects.filter(pk=attempt.pk).update(query_count=3)
    attempt.result_desc = "Read again"
    attempt.save()

    assert MpesaDayTotal.objects.count() == rows


@pytest.mark.django_db
def test_folding_leaves_one_row_per_key_with_the_same_sums():
    attempts = [
        attempt_row(status=Status.PENDING, amount_paid=None, created_at=NOW) for _ in range(6)
    ]
    for attempt in attempts:
        attempt.save()
    for attempt in attempts[:4]:
        attempt.status = Status.SUCCEEDED
        attempt.amount_paid = attempt.amount
        attempt.save()
    attempts[4].delete()
    before = selectors.attempt_totals(filters=AttemptFilters())
    assert MpesaDayTotal.objects.count() > 2

    report = day_totals_fold()

    assert report.rows_after == 2 < report.rows_before
    assert set(MpesaDayTotal.objects.values_list("status", "count")) == {
        (Status.SUCCEEDED, 4),
        (Status.PENDING, 1),
    }
    assert selectors.attempt_totals(filters=AttemptFilters()) == before
    assert day_totals_fold().rows_before == 0


@pytest.mark.django_db
def test_a_key_that_adds_up_to_nothing_is_folded_away():
    attempt = attempt_row(status=Status.PENDING, amount_paid=None)
    attempt.save()
    attempt.delete()

    day_totals_fold()

    assert not MpesaDayTotal.objects.exists()
    assert selectors.attempt_totals(filters=AttemptFilters()).count == 0


@pytest.mark.django_db
def test_truncating_the_log_empties_the_totals():
    attempt_row().save()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks left pending
        cursor.execute(f"TRUNCATE {MpesaPaymentAttempt._meta.db_table} CASCADE")
    assert not MpesaDayTotal.objects.exists()


@pytest.mark.django_db
def test_mpesa_reconcile_folds_the_day_totals(capsys):
    for _ in range(3):
        attempt_row(created_at=NOW).save()

    call_command("mpesa_reconcile")

    assert MpesaDayTotal.objects.count() == 1
    assert "day totals: 3 rows folded into 1" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_fold_keeps_what_a_transaction_still_open_wrote():
    attempt_row(created_at=NOW).save()
    attempt_row(created_at=NOW).save()
    written, folded = threading.Event(), threading.Event()

    def open_transaction():
        try:
            with transaction.atomic():
                attempt_row(
                    created_at=NOW, amount=Decimal("500"), amount_paid=Decimal("500")
                ).save()
                written.set()
                assert folded.wait(timeout=30)
        finally:
            connection.close()

    writer = threading.Thread(target=open_transaction)
    writer.start()
    assert written.wait(timeout=30)
    report = day_totals_fold()
    folded.set()
    writer.join(timeout=30)

    assert report.rows_after == 1
    assert selectors.attempt_totals(filters=AttemptFilters()) == selectors.AttemptTotals(
        count=3, amount_requested=Decimal("3000"), amount_paid=Decimal("3000")
    )
