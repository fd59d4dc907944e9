"""Row locks at work: parallel deliveries of one payment settle it exactly once.

These need a database with real row locks (PostgreSQL, as in CI and production); SQLite
serialises every writer, so it cannot show a race being won.
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from oscar.core.loading import get_model

from apps.payment.models import MpesaCallback, MpesaPaymentAttempt
from apps.payment.mpesa import services

from .conftest import initiate, query_answer
from .test_stk_callback_view import success_body

Order = get_model("order", "Order")
Transaction = get_model("payment", "Transaction")
PaymentEvent = get_model("order", "PaymentEvent")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks (CI runs it)"
    ),
]


def test_twenty_identical_success_callbacks_in_parallel_settle_once(
    live_server, daraja, pending_order
):
    attempt = initiate(pending_order)
    url = live_server.url + reverse("mpesa-stk-callback", kwargs={"token": attempt.raw_token})
    body = json.dumps(success_body(attempt))
    start = threading.Barrier(20)

    def deliver(_):
        start.wait()
        return requests.post(
            url, data=body, headers={"Content-Type": "application/json"}, timeout=30
        ).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(deliver, range(20)))

    assert codes == [200] * 20
    pending_order.refresh_from_db()
    assert pending_order.status == "Paid"
    assert Transaction.objects.filter(txn_type=Transaction.DEBIT).count() == 1
    assert PaymentEvent.objects.filter(event_type__name="Paid").count() == 1
    assert len(mail.outbox) == 1
    outcomes = list(MpesaCallback.objects.values_list("outcome", flat=True))
    assert outcomes.count("applied") == 1 and outcomes.count("duplicate") == 19


def test_a_callback_racing_reconciliation_has_one_outcome(
    live_server, daraja, pending_order, settings
):
    settings.MPESA_QUERY_AFTER_SECONDS = 0
    attempt = initiate(pending_order)
    daraja.query_answer = query_answer("success", "0", attempt.checkout_request_id)
    url = live_server.url + reverse("mpesa-stk-callback", kwargs={"token": attempt.raw_token})
    body = json.dumps(success_body(attempt))
    start = threading.Barrier(2)

    def callback():
        start.wait()
        headers = {"Content-Type": "application/json"}
        return requests.post(url, data=body, headers=headers, timeout=30).status_code

    def reconcile():
        start.wait()
        try:
            return services.mpesa_reconcile()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        callback_result = pool.submit(callback)
        reconcile_result = pool.submit(reconcile)
        assert callback_result.result() == 200
        reconcile_result.result()

    pending_order.refresh_from_db()
    attempt.refresh_from_db()
    assert pending_order.status == "Paid"
    assert Transaction.objects.filter(txn_type=Transaction.DEBIT).count() == 1
    assert len(mail.outbox) == 1
    # Whichever came first, the receipt from the callback ends up on the attempt.
    assert attempt.receipt_number == "NLJ7RT61SV"


def test_cancelling_an_order_while_its_payment_settles_takes_the_locks_in_the_same_order(
    pending_order, daraja
):
    """Settling locks the attempt, then the order; cancelling must not lock them the other
    way round, or the two deadlock (and PostgreSQL aborts one of them)."""
    attempt = initiate(pending_order)
    attempt_locked = threading.Event()
    errors: list[BaseException] = []

    def settle_like():
        try:
            with transaction.atomic():
                MpesaPaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
                attempt_locked.set()
                threading.Event().wait(0.5)  # the cancel starts meanwhile
                Order.objects.select_for_update().get(pk=pending_order.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def cancel():
        attempt_locked.wait(10)
        try:
            return services.order_cancel_unpaid(order_id=pending_order.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        settling = pool.submit(settle_like)
        cancelled = pool.submit(cancel)
        settling.result()
        assert cancelled.result() is False  # the prompt is still open: not cancelled

    assert errors == []
    pending_order.refresh_from_db()
    assert pending_order.status == "Pending payment"
