"""The CSV export of the M-Pesa log: same filters as the list, streamed, fixed queries."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa.selectors import attempt_csv_header

from .conftest import attempt_row, join_payments_staff

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("mpesa-dashboard:transaction-export")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(join_payments_staff(staff))
    return client


def read_csv(response) -> list[list[str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def test_export_is_a_csv_attachment_with_a_header_and_masked_phones(staff_client, make_attempt):
    attempt = make_attempt(receipt_number="QCSV000001", guest_email="akinyi@example.com")

    response = staff_client.get(EXPORT_URL)

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    header, row = read_csv(response)
    assert header == attempt_csv_header()
    record = dict(zip(header, row, strict=True))
    assert record["ID"] == str(attempt.pk)
    assert record["M-Pesa receipt"] == "QCSV000001"
    assert record["Guest email"] == "akinyi@example.com"
    assert record["Phone"] == "2547****5678"
    assert record["Amount requested"] == "1250.00"
    assert record["Status"] == "succeeded"
    assert record["Test"] == "no"


def test_export_applies_the_list_filters(staff_client, make_attempt):
    failed = make_attempt(status="failed", receipt_number=None, amount_paid=None)
    make_attempt()
    make_attempt(status="failed", receipt_number=None, amount_paid=None, is_test=True)

    rows = read_csv(staff_client.get(EXPORT_URL, {"status": "failed", "is_test": "no"}))

    assert [row[0] for row in rows[1:]] == [str(failed.pk)]


def test_text_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(staff_client, make_attempt):
    make_attempt(channel="paybill", checkout_request_id=None, bill_ref_number='=HYPERLINK("x")')
    header, row = read_csv(staff_client.get(EXPORT_URL))
    assert dict(zip(header, row, strict=True))["Account number typed"] == '\'=HYPERLINK("x")'


def test_ten_thousand_transactions_stream_in_a_fixed_number_of_queries(staff_client):
    MpesaPaymentAttempt.objects.bulk_create(
        [attempt_row(amount=Decimal("10")) for _ in range(10_000)], batch_size=2000
    )
    staff_client.get(EXPORT_URL)  # warm the session and caches

    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(EXPORT_URL)
        # Nothing has been read from the log yet: the rows come as the body is consumed.
        before_body = len(captured)
        first = next(iter(response.streaming_content))
        rows = read_csv_after(first, response)

    assert response.streaming is True
    assert len(rows) == 10_001
    assert rows[0] == attempt_csv_header()
    # Session, user and the user's permissions (their own and their groups'), then one
    # cursor for all the rows (read in chunks of 2,000).
    assert len(captured) - before_body == 1
    assert len(captured) <= 5


def read_csv_after(first: bytes, response) -> list[list[str]]:
    text = (first + b"".join(response.streaming_content)).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))
