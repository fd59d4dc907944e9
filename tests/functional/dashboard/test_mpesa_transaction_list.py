"""The M-Pesa transaction log in the dashboard: list, filter, search, totals, inbox."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.payment.models import MpesaPaymentAttempt

from .conftest import attempt_row, join_payments_staff

pytestmark = pytest.mark.django_db

Status = MpesaPaymentAttempt.Status
Channel = MpesaPaymentAttempt.Channel
LIST_URL = reverse("mpesa-dashboard:transaction-list")
INBOX_URL = reverse("mpesa-dashboard:attention-inbox")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(join_payments_staff(staff))
    return client


def listed(response) -> list[MpesaPaymentAttempt]:
    return list(response.context["transactions"])


def test_lists_transactions_newest_first_with_the_phone_masked(staff_client, make_attempt):
    older = make_attempt(
        created_at=timezone.now() - timedelta(hours=2), receipt_number="QOLD000001"
    )
    newer = make_attempt(created_at=timezone.now(), receipt_number="QNEW000001")

    response = staff_client.get(LIST_URL)

    assert response.status_code == 200
    assert listed(response) == [newer, older]
    page = response.content.decode()
    assert "QNEW000001" in page and "QOLD000001" in page
    assert "2547****5678" in page
    assert "254712345678" not in page
    assert reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": newer.pk}) in page


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"status": "failed"}, {"failed"}),
        ({"channel": "paybill"}, {"paybill"}),
        ({"is_test": "yes"}, {"test"}),
        ({"needs_attention": "yes"}, {"attention"}),
        (
            {"needs_attention": "no", "channel": "stk", "is_test": "no", "status": "succeeded"},
            {"paid"},
        ),
    ],
)
def test_filters_by_status_channel_test_and_attention(staff_client, make_attempt, params, expected):
    rows = {
        "paid": make_attempt(),
        "failed": make_attempt(status=Status.FAILED, receipt_number=None, amount_paid=None),
        "paybill": make_attempt(channel=Channel.PAYBILL, checkout_request_id=None),
        "test": make_attempt(is_test=True, order_number="TESTAB12"),
        "attention": make_attempt(status=Status.REVIEW, needs_attention=True),
    }
    response = staff_client.get(LIST_URL, params)

    assert {label for label, row in rows.items() if row in listed(response)} == expected


def test_filters_by_date_range_in_the_shops_calendar(staff_client, make_attempt):
    today = timezone.localdate()
    noon = timezone.make_aware(timezone.datetime(today.year, today.month, today.day, 12))
    last_week = make_attempt(created_at=noon - timedelta(days=7))
    yesterday = make_attempt(created_at=noon - timedelta(days=1))
    this_noon = make_attempt(created_at=noon)

    response = staff_client.get(
        LIST_URL,
        {"date_from": (today - timedelta(days=2)).isoformat(), "date_to": today.isoformat()},
    )
    assert set(listed(response)) == {yesterday, this_noon}

    response = staff_client.get(LIST_URL, {"date_to": (today - timedelta(days=3)).isoformat()})
    assert listed(response) == [last_week]


@pytest.mark.parametrize(
    "query",
    [
        "QKT7ABC123",
        "qkt7abc123",
        "0722 000 111",
        "254722000111",
        "300123",
        "#300123",
        "ws_CO_SEARCHME",
        "mr-searchme",
    ],
)
def test_search_finds_by_receipt_phone_order_number_and_request_ids(
    staff_client, make_attempt, query
):
    wanted = make_attempt(
        receipt_number="QKT7ABC123",
        phone="254722000111",
        order_number="300123",
        checkout_request_id="ws_CO_SEARCHME",
        merchant_request_id="mr-searchme",
    )
    make_attempt()
    make_attempt(phone="254733999888")

    response = staff_client.get(LIST_URL, {"query": query})

    assert listed(response) == [wanted]


def test_search_finds_a_paybill_payment_by_the_account_number_typed(staff_client, make_attempt):
    wanted = make_attempt(
        channel=Channel.PAYBILL, checkout_request_id=None, bill_ref_number="ORDR99"
    )
    make_attempt()
    response = staff_client.get(LIST_URL, {"query": "ordr99"})
    assert listed(response) == [wanted]


def test_totals_cover_the_whole_filtered_set_not_just_the_page(staff_client, make_attempt):
    MpesaPaymentAttempt.objects.bulk_create(
        [attempt_row(amount=Decimal("100"), amount_paid=Decimal("100")) for _ in range(55)]
        + [
            attempt_row(
                amount=Decimal("40"), amount_paid=None, status=Status.FAILED, receipt_number=None
            )
            for _ in range(3)
        ]
    )
    make_attempt(channel=Channel.PAYBILL, checkout_request_id=None, amount=Decimal("999"))

    response = staff_client.get(LIST_URL, {"channel": "stk"})

    assert len(listed(response)) == 50  # one page
    totals = response.context["totals"]
    assert totals.count == 58
    assert totals.amount_requested == Decimal("5620")
    assert totals.amount_paid == Decimal("5500")
    page = response.content.decode()
    assert "KSh\xa05,620" in page and "KSh\xa05,500" in page

    second = staff_client.get(LIST_URL, {"channel": "stk", "page": 2})
    assert len(listed(second)) == 8


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "failed"},
        {"channel": "paybill"},
        {"needs_attention": "yes"},
        {"is_test": "no", "status": "succeeded"},
        {"date_from": "TODAY-1"},
        {"date_to": "TODAY-2"},
        {"date_from": "TODAY-3", "date_to": "TODAY-1", "channel": "stk"},
        {"query": "0722 000 111"},
        {"query": "0722 000 111", "date_from": "TODAY"},
    ],
)
def test_totals_and_the_page_count_are_those_of_every_row_the_filters_list(
    staff_client, make_attempt, params
):
    today = timezone.localdate()
    noon = timezone.make_aware(timezone.datetime(today.year, today.month, today.day, 12))
    MpesaPaymentAttempt.objects.bulk_create(
        [
            attempt_row(created_at=noon - timedelta(days=n % 4, hours=n % 13), amount=100 + n)
            for n in range(60)
        ]
        + [
            attempt_row(
                status=Status.FAILED,
                amount_paid=None,
                receipt_number=None,
                created_at=noon - timedelta(days=n),
            )
            for n in range(4)
        ]
    )
    make_attempt(channel=Channel.PAYBILL, checkout_request_id=None, amount=Decimal("999"))
    make_attempt(phone="254722000111", status=Status.REVIEW, needs_attention=True)
    params = {
        name: (today - timedelta(days=int(value[6:] or 0))).isoformat()
        if value.startswith("TODAY")
        else value
        for name, value in params.items()
    }

    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(LIST_URL, params)
    # The totals' count numbers the pages: the only COUNT(*) of the log is the inbox badge.
    counts = [
        q["sql"]
        for q in captured
        if "COUNT(*)" in q["sql"] and "payment_mpesapaymentattempt" in q["sql"]
    ]
    assert len(counts) == 1 and "needs_attention" in counts[0]

    every_row = []
    for page in range(1, response.context["paginator"].num_pages + 1):
        every_row += listed(staff_client.get(LIST_URL, {**params, "page": page}))
    totals = response.context["totals"]
    assert totals.count == len(every_row) == response.context["paginator"].count
    assert totals.amount_requested == sum(row.amount for row in every_row)
    assert totals.amount_paid == sum(row.amount_paid or 0 for row in every_row)


def test_a_date_at_either_end_of_the_calendar_bounds_nothing(staff_client, make_attempt):
    attempt = make_attempt()

    response = staff_client.get(LIST_URL, {"date_from": "0001-01-01", "date_to": "9999-12-31"})

    assert response.status_code == 200
    assert listed(response) == [attempt]
    assert response.context["totals"].count == 1


def test_attention_inbox_lists_only_payments_needing_staff(staff_client, make_attempt):
    unmatched = make_attempt(
        channel=Channel.PAYBILL,
        checkout_request_id=None,
        status=Status.REVIEW,
        needs_attention=True,
        attention_reason="Account number 'XYZ' matches no order",
        bill_ref_number="XYZ",
    )
    make_attempt()
    make_attempt(needs_attention=False, resolution_note="refunded", status=Status.REVIEW)

    response = staff_client.get(INBOX_URL, {"needs_attention": "no"})

    assert listed(response) == [unmatched]
    assert response.context["attention_count"] == 1
    assert "matches no order" in response.content.decode()


def test_list_and_inbox_link_to_a_csv_of_the_same_filters(staff_client, make_attempt):
    make_attempt()
    response = staff_client.get(LIST_URL, {"status": "failed", "page": "1"})
    export = reverse("mpesa-dashboard:transaction-export")
    assert f'href="{export}?status=failed"' in response.content.decode()

    response = staff_client.get(INBOX_URL)
    assert f'href="{export}?needs_attention=yes"' in response.content.decode()


def _queries_for_list(client, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST_URL, params or {})
    assert response.status_code == 200
    return len(captured)


def test_list_page_costs_the_same_queries_for_10_or_50_rows(staff_client, pending_order):
    """Rows join their order and customer; the totals are one aggregate."""
    from django.contrib.auth import get_user_model

    customer = get_user_model().objects.create_user(username="buyer", email="b@example.com")
    MpesaPaymentAttempt.objects.bulk_create(
        [attempt_row(order=pending_order, user=customer) for _ in range(10)]
    )
    staff_client.get(LIST_URL)  # warm caches (site, content types)
    ten = _queries_for_list(staff_client)

    MpesaPaymentAttempt.objects.bulk_create(
        [attempt_row(order=pending_order, user=customer) for _ in range(50)]
    )
    sixty = _queries_for_list(staff_client)
    filtered = _queries_for_list(staff_client, {"query": "2547", "status": "succeeded"})

    assert ten == sixty == filtered
    assert sixty <= 10


def test_reconcile_button_runs_reconciliation_and_reports(
    staff_client, daraja, make_attempt, settings
):
    settings.MPESA_ATTEMPT_EXPIRY_SECONDS = 60
    stale = make_attempt(
        status=Status.CREATED,
        receipt_number=None,
        amount_paid=None,
        checkout_request_id=None,
        created_at=timezone.now() - timedelta(minutes=30),
    )

    response = staff_client.post(reverse("mpesa-dashboard:reconcile"), follow=True)

    stale.refresh_from_db()
    assert stale.status == Status.EXPIRED
    assert "expired 1" in response.content.decode()


def test_reconcile_only_accepts_post(staff_client):
    assert staff_client.get(reverse("mpesa-dashboard:reconcile")).status_code == 405


def test_list_page_of_ten_thousand_transactions_costs_what_a_short_one_costs(staff_client):
    MpesaPaymentAttempt.objects.bulk_create([attempt_row() for _ in range(10)])
    staff_client.get(LIST_URL)
    short = _queries_for_list(staff_client)

    MpesaPaymentAttempt.objects.bulk_create([attempt_row() for _ in range(9_990)], batch_size=2000)
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(LIST_URL, {"page": 150})

    assert len(captured) == short
    assert response.context["totals"].count == 10_000
    assert len(listed(response)) == 50
