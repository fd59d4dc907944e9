"""The STK callback endpoint: raw body first, 200 "Accepted", never a 500, nothing lost."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from oscar.core.loading import get_model

from apps.payment.models import MpesaCallback, MpesaPaymentAttempt
from apps.payment.mpesa import services

from .conftest import initiate, place_pending_order, query_answer

pytestmark = pytest.mark.django_db

Transaction = get_model("payment", "Transaction")
PaymentEventQuantity = get_model("order", "PaymentEventQuantity")
Status = MpesaPaymentAttempt.Status


def success_body(attempt, amount=1250.00, receipt="NLJ7RT61SV", extra_items=()):
    items = [
        {"Name": "Amount", "Value": amount},
        {"Name": "MpesaReceiptNumber", "Value": receipt},
        {"Name": "Balance"},
        {"Name": "TransactionDate", "Value": 20191219102115},
        {"Name": "PhoneNumber", "Value": 254712345678},
        *extra_items,
    ]
    return {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": attempt.merchant_request_id,
                "CheckoutRequestID": attempt.checkout_request_id,
                "ResultCode": 0,
                "ResultDesc": "The service request is processed successfully.",
                "CallbackMetadata": {"Item": items},
            }
        }
    }


def failure_body(attempt, code=1032):
    return {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": attempt.merchant_request_id,
                "CheckoutRequestID": attempt.checkout_request_id,
                "ResultCode": code,
                "ResultDesc": "Request cancelled by user",
            }
        }
    }


def post(client, token, body, content_type="application/json;charset=UTF-8"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(
        reverse("mpesa-stk-callback", kwargs={"token": token}), data, content_type=content_type
    )


@pytest.fixture
def attempt(daraja, pending_order):
    return initiate(pending_order)


def test_success_callback_is_accepted_stored_and_pays_the_order(client, attempt, pending_order):
    response = post(client, attempt.raw_token, success_body(attempt))

    assert response.status_code == 200
    assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    callback = MpesaCallback.objects.get()
    assert callback.attempt == attempt and callback.outcome == MpesaCallback.Outcome.APPLIED
    assert "NLJ7RT61SV" in callback.body
    pending_order.refresh_from_db()
    assert pending_order.status == "Paid"


def test_amount_sent_as_a_string_or_integer_is_read(client, attempt, pending_order):
    response = post(client, attempt.raw_token, success_body(attempt, amount="1250"))
    assert response.status_code == 200
    pending_order.refresh_from_db()
    assert pending_order.status == "Paid"


def test_failure_callback_with_a_string_result_code_fails_the_attempt(client, attempt):
    body = failure_body(attempt, code="SFC_IC0003")
    assert post(client, attempt.raw_token, body).status_code == 200
    attempt.refresh_from_db()
    assert attempt.status == Status.FAILED and attempt.result_code == "SFC_IC0003"


def test_duplicate_callbacks_debit_once(client, attempt, pending_order):
    for _ in range(3):
        assert post(client, attempt.raw_token, success_body(attempt)).status_code == 200
    assert Transaction.objects.filter(txn_type=Transaction.DEBIT).count() == 1
    outcomes = list(MpesaCallback.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["applied", "duplicate", "duplicate"]


@pytest.mark.parametrize(
    "body",
    [
        "not json at all",
        "[1, 2, 3]",
        json.dumps({"Body": {}}),
        json.dumps({"Body": {"stkCallback": {"ResultCode": 0}}}),
        json.dumps({"Body": {"stkCallback": {"CheckoutRequestID": ["x"], "ResultCode": 0}}}),
        json.dumps({"Body": {"stkCallback": {"CheckoutRequestID": "x", "ResultCode": {"a": 1}}}}),
        "{" * 5000,
    ],
)
def test_malformed_bodies_are_stored_refused_with_a_4xx_and_change_nothing(
    client, attempt, pending_order, body
):
    response = post(client, attempt.raw_token, body)

    assert 400 <= response.status_code < 500
    assert MpesaCallback.objects.get().outcome == MpesaCallback.Outcome.REJECTED
    attempt.refresh_from_db()
    pending_order.refresh_from_db()
    assert attempt.status == Status.PENDING
    assert pending_order.status == "Pending payment"


def test_bad_amount_value_is_refused(client, attempt, pending_order):
    response = post(client, attempt.raw_token, success_body(attempt, amount="lots"))
    assert response.status_code == 400
    pending_order.refresh_from_db()
    assert pending_order.status == "Pending payment"


def test_unknown_token_is_kept_and_answered_404(client, attempt, pending_order):
    response = post(client, "not-a-real-token", success_body(attempt))
    assert response.status_code == 404
    callback = MpesaCallback.objects.get()
    assert callback.attempt is None and callback.outcome == MpesaCallback.Outcome.REJECTED
    pending_order.refresh_from_db()
    assert pending_order.status == "Pending payment"


def test_a_token_for_another_checkout_request_changes_nothing(client, attempt, pending_order):
    body = success_body(attempt)
    body["Body"]["stkCallback"]["CheckoutRequestID"] = "ws_CO_FORGED"
    response = post(client, attempt.raw_token, body)
    assert response.status_code == 400
    pending_order.refresh_from_db()
    assert pending_order.status == "Pending payment"


def test_huge_bodies_are_refused_unread(client, attempt, settings):
    settings.MPESA_CALLBACK_MAX_BYTES = 1024
    response = post(client, attempt.raw_token, success_body(attempt) | {"pad": "x" * 5000})
    assert response.status_code == 413
    assert not MpesaCallback.objects.exists()


def test_only_post_is_allowed(client, attempt):
    url = reverse("mpesa-stk-callback", kwargs={"token": attempt.raw_token})
    assert client.get(url).status_code == 405


# A success callback: the body stored (its own commit), then one transaction: the attempt
# locked (with a receipt check in the same query), the order and its M-Pesa source locked
# and read (one query), the source debited (or made, for an order placed without one), the
# transaction row(s), the "Paid" event and its line quantities, the order moved to "Paid",
# its lines, the status change, the email's outbox row, the attempt, its timeline, the
# callback's outcome, commit. The type rows are read inside the INSERTs that need them.
# No outbound HTTP, no email sent inside the request.
SUCCESS_CALLBACK_QUERIES = 16
# A duplicate: stored; then locked, timeline, outcome.
DUPLICATE_CALLBACK_QUERIES = 6
# A failure: stored; then locked, attempt, timeline, outcome.
FAILURE_CALLBACK_QUERIES = 7


def paid_by_callback(client, order, receipt: str) -> tuple[int, object]:
    """Queries run by a success callback that pays ``order``, and its attempt."""
    attempt = initiate(order)
    body = success_body(attempt, amount=float(attempt.amount), receipt=receipt)
    with CaptureQueriesContext(connection) as queries:
        response = post(client, attempt.raw_token, body)
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == "Paid"
    return len(queries), attempt


def test_a_success_callback_costs_the_same_few_queries_for_one_line_or_ten(client, daraja):
    one_line, attempt = paid_by_callback(client, place_pending_order("100702"), "RCPT00702")
    ten_lines, _ = paid_by_callback(client, place_pending_order("100703", lines=10), "RCPT00703")

    assert one_line == ten_lines == SUCCESS_CALLBACK_QUERIES
    assert PaymentEventQuantity.objects.filter(event__order__number="100703").count() == 10
    with CaptureQueriesContext(connection) as queries:
        post(client, attempt.raw_token, success_body(attempt, receipt="RCPT00702"))
    assert len(queries) == DUPLICATE_CALLBACK_QUERIES


def test_a_failure_callback_costs_fewer_queries(client, daraja, pending_order):
    attempt = initiate(pending_order)
    with CaptureQueriesContext(connection) as queries:
        assert post(client, attempt.raw_token, failure_body(attempt)).status_code == 200
    assert len(queries) == FAILURE_CALLBACK_QUERIES


NUL_BODIES = [
    # A NUL byte in the raw body, and a NUL escaped in the JSON (a NUL in the parsed text).
    b'{"Body": {"stkCallback": {"CheckoutRequestID": "CID", "ResultCode": 1032, '
    b'"ResultDesc": "ok\x00"}}}',
    b'{"Body": {"stkCallback": {"CheckoutRequestID": "CID", "ResultCode": 1032, '
    b'"ResultDesc": "x\\u0000"}}}',
]


@pytest.mark.parametrize("body", NUL_BODIES)
def test_a_callback_with_a_nul_character_is_kept_and_answered_not_500(client, attempt, body):
    """PostgreSQL text cannot hold NUL: found by the fuzzer as a 500 on storing the body."""
    body = body.replace(b"CID", attempt.checkout_request_id.encode())

    response = post(client, attempt.raw_token, body)

    assert response.status_code < 500
    stored = MpesaCallback.objects.get()
    assert "\x00" not in stored.body and "ResultDesc" in stored.body
    attempt.refresh_from_db()
    assert attempt.status == MpesaPaymentAttempt.Status.PENDING  # nothing settled from it


@pytest.mark.parametrize("forwarded_for", ["unknown", "1.2.3.4, not-an-address", "::ffff:zz"])
def test_a_callback_whose_address_reads_as_no_address_is_kept_and_applied(
    client, attempt, pending_order, settings, forwarded_for
):
    """Behind a wrong proxy count the caller writes the address read: found by the fuzzer
    as a 500 on PostgreSQL (an inet column), the body lost."""
    settings.MPESA_TRUSTED_PROXY_COUNT = 1
    settings.MPESA_CALLBACK_IP_CHECK = False

    response = client.post(
        reverse("mpesa-stk-callback", kwargs={"token": attempt.raw_token}),
        json.dumps(success_body(attempt)),
        content_type="application/json",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )

    assert response.status_code == 200
    assert MpesaCallback.objects.get().remote_addr is None
    pending_order.refresh_from_db()
    assert pending_order.status == "Paid"


def without_item(body: dict, name: str) -> dict:
    callback = body["Body"]["stkCallback"]
    items = callback["CallbackMetadata"]["Item"]
    callback["CallbackMetadata"]["Item"] = [item for item in items if item["Name"] != name]
    return body


@pytest.mark.parametrize("missing", ["Amount", "MpesaReceiptNumber"])
def test_a_success_that_does_not_say_what_was_paid_waits_for_darajas_word(
    client, daraja, attempt, pending_order, settings, missing
):
    settings.MPESA_VERIFY_BEFORE_FULFIL = False
    daraja.query_answer = query_answer("pending", None, attempt.checkout_request_id)

    response = post(client, attempt.raw_token, without_item(success_body(attempt), missing))

    assert response.status_code == 200
    assert daraja.queries == [attempt.checkout_request_id]
    assert MpesaCallback.objects.get().outcome == MpesaCallback.Outcome.UNVERIFIED
    pending_order.refresh_from_db()
    assert pending_order.status == "Pending payment"

    settings.MPESA_QUERY_AFTER_SECONDS = 0
    daraja.query_answer = query_answer("success", "0", attempt.checkout_request_id)
    services.mpesa_reconcile()

    pending_order.refresh_from_db()
    assert pending_order.status == "Paid"


def test_a_success_daraja_denies_for_lack_of_an_amount_pays_nothing(
    client, daraja, attempt, pending_order, settings
):
    settings.MPESA_VERIFY_BEFORE_FULFIL = False
    daraja.query_answer = query_answer("failed", "1032", attempt.checkout_request_id)

    post(client, attempt.raw_token, without_item(success_body(attempt), "Amount"))

    pending_order.refresh_from_db()
    assert pending_order.status == "Pending payment"
    assert not Transaction.objects.filter(txn_type=Transaction.DEBIT).exists()


@pytest.mark.parametrize("amount", ["1e20", "12345678901.5", "1250.5", 0, -1250])
def test_an_amount_m_pesa_cannot_move_is_kept_for_staff_and_pays_nothing(
    client, attempt, pending_order, admin_client, amount
):
    response = post(client, attempt.raw_token, success_body(attempt, amount=amount))

    assert response.status_code == 200
    attempt = MpesaPaymentAttempt.objects.get(pk=attempt.pk)
    assert attempt.status == MpesaPaymentAttempt.Status.REVIEW and attempt.needs_attention
    pending_order.refresh_from_db()
    assert pending_order.status == "Pending payment"
    assert not Transaction.objects.filter(txn_type=Transaction.DEBIT).exists()
    for page in (
        reverse("mpesa-dashboard:transaction-list"),
        reverse("mpesa-dashboard:attention-inbox"),
        reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": attempt.pk}),
        reverse("admin:payment_mpesapaymentattempt_changelist"),
        reverse("dashboard:order-detail", kwargs={"number": pending_order.number}),
    ):
        assert admin_client.get(page).status_code == 200, page


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 3000,  # too deep for Python's JSON parser
        (b'{"Body": ' + b"[" * 500 + b"1" + b"]" * 500 + b"}"),  # parses, 500 levels deep
        b'{"Body": {"stkCallback": {"ResultDesc": "' + "\u00e9\u2603".encode() * 2000 + b'"}}}',
    ],
)
def test_any_stored_callback_body_renders_on_the_staff_pages(client, admin_client, attempt, body):
    post(client, attempt.raw_token, body)
    callback = MpesaCallback.objects.get()
    assert callback.attempt_id == attempt.pk

    detail = admin_client.get(
        reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": attempt.pk})
    )
    admin_page = admin_client.get(
        reverse("admin:payment_mpesacallback_change", kwargs={"object_id": callback.pk})
    )

    assert detail.status_code == 200 and admin_page.status_code == 200
    assert len(detail.content) < 200_000
