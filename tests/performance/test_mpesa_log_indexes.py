"""The dashboard's M-Pesa log finds its first page in an index for the default view and
every filter staff pick, so the page does not read more rows as the log grows; its totals
are one aggregate of the transactions the filter selects, kept for a few seconds.

Plans are PostgreSQL's (as in production), for a log of a few thousand transactions
whose statistics are up to date, where most are paid STK pushes, as in a real shop.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.payment.dashboard.forms import TransactionFilterForm
from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa import selectors
from tests.functional.dashboard.conftest import attempt_row, join_payments_staff

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans (CI runs it)"),
]


@pytest.fixture
def log(db):
    Status, Channel = MpesaPaymentAttempt.Status, MpesaPaymentAttempt.Channel
    rows = [attempt_row() for _ in range(3000)]
    for n, row in enumerate(rows):
        if n % 50 == 1:
            row.status, row.amount_paid, row.receipt_number = Status.FAILED, None, None
        if n % 60 == 2:
            row.channel, row.checkout_request_id = Channel.PAYBILL, None
        if n % 300 == 3:
            row.needs_attention, row.status = True, Status.REVIEW
        if n % 500 == 4:
            row.is_test = True
    MpesaPaymentAttempt.objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {MpesaPaymentAttempt._meta.db_table}")


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    "params, used",
    [
        ({}, "Index Scan Backward using payment_mpesapaymentattempt_created_at"),
        ({"status": "failed"}, "mpesa_status_created"),
        ({"channel": "paybill"}, "mpesa_channel_created"),
        ({"needs_attention": "yes"}, "mpesa_attention_created"),
        ({"is_test": "yes"}, "mpesa_test_created"),
        ({"date_from": "TODAY", "date_to": "TODAY"}, "Index Cond: ((created_at >="),
    ],
)
def test_each_filter_reads_its_first_page_from_an_index(log, params, used):
    today = timezone.localdate().isoformat()
    params = {name: today if value == "TODAY" else value for name, value in params.items()}
    filters = TransactionFilterForm(params).filters()

    first_page = plan(selectors.attempt_list(filters=filters)[:50])

    assert used in first_page, first_page
    assert "Seq Scan on payment_mpesapaymentattempt" not in first_page


def test_the_inbox_badge_counts_from_the_attention_index(log):

    badge = plan(MpesaPaymentAttempt.objects.filter(needs_attention=True).values("pk"))

    assert "mpesa_attention_created" in badge, badge


def test_the_list_page_adds_up_its_totals_once_within_the_bound(client, settings):
    """One aggregate of the selected transactions, without the rows' joins and refund
    subquery; paging or reloading within ``SHOP_STAFF_TOTALS_CACHE_SECONDS`` reads none."""
    settings.SHOP_STAFF_TOTALS_CACHE_SECONDS = 5
    attempt_row().save()
    staff = get_user_model().objects.create_user("staff", is_staff=True)
    client.force_login(join_payments_staff(staff))

    def totals_queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("mpesa-dashboard:transaction-list"), {"status": "succeeded"})
        # The totals row's query (the inbox badge is a bare COUNT(*)).
        return [q["sql"] for q in captured if "SUM(" in q["sql"] and "COUNT(" in q["sql"]]

    first, again = totals_queries(), totals_queries()

    assert len(first) == 1 and "payment_mpesapaymentattempt" in first[0]
    assert "JOIN" not in first[0] and "payment_mpesarefund" not in first[0]
    assert again == []


@pytest.mark.parametrize(
    "query", ["QKT7ABC123", "ws_co_searchme", "mr-9", "300123", "#300123", "0722 000 111", "5678"]
)
def test_a_search_reads_only_what_it_finds_from_indexes(log, query):
    """Every branch of the search (identifiers whatever their case, order number, phones
    "contains") is answered by an index: with sequential scans priced out, the planner
    still finds a plan without one, which it could not if any branch had no index.
    ("5678" is in every phone of this log: reading it newest first is the plan then.)"""
    filters = TransactionFilterForm({"query": query}).filters()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        first_page = plan(selectors.attempt_list(filters=filters)[:50])
        totals = plan(selectors.attempt_list(filters=filters).order_by().values("pk"))

    for searched in (first_page, totals):
        assert "Seq Scan on payment_mpesapaymentattempt" not in searched, searched
    if query != "5678":
        assert "mpesa_phone_trgm" in first_page, first_page
        assert "mpesa_receipt_upper" in first_page, first_page
