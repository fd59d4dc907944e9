"""The refund services with Daraja scripted at its HTTP boundary: what may be refunded, once,
and what each of Daraja's answers does (the flows against the simulator are in
tests/functional/checkout/test_refunds.py)."""

import json
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from oscar.core.loading import get_class
from oscar.test.factories import UserFactory

from apps.payment.models import MpesaCallback, MpesaRefund
from apps.payment.mpesa import gateway, services
from apps.payment.mpesa.audit import BreachKind, books_audit
from apps.payment.mpesa.services import refunds
from apps.payment.mpesa.services.common import _record_event as record_event

from .conftest import initiate, paybill_confirmed, success

EventHandler = get_class("order.processing", "EventHandler")
Status = MpesaRefund.Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def paid(daraja, pending_order):
    attempt = initiate(pending_order)
    services.attempt_settle(attempt_id=attempt.pk, outcome=success(attempt))
    attempt.refresh_from_db()
    return attempt


def start(payment, staff, amount, key="press-1", **kwargs):
    return services.refund_start(
        payment=payment, amount=Decimal(amount), actor=staff, idempotency_key=key, **kwargs
    )


def result_body(made, code=0, receipt="SKE52PAWR9", amount=None):
    result = {
        "ResultType": 0,
        "ResultCode": code,
        "ResultDesc": "The service request is processed successfully.",
        "OriginatorConversationID": made.originator_conversation_id,
        "ConversationID": made.conversation_id,
        "TransactionID": receipt,
    }
    if code == 0:
        result["ResultParameters"] = {
            "ResultParameter": [{"Key": "Amount", "Value": amount or int(made.amount)}]
        }
    return json.dumps({"Result": result}).encode()


def deliver(daraja, made, body, kind=refunds.ResultKind.RESULT):
    url = daraja.refund_calls[-1]["result_url"]
    token = url.rstrip("/").rsplit("/", 2)[-2]
    callback = refunds.refund_result_store(token=token, body=body, remote_addr="127.0.0.1")
    return refunds.refund_result_process(callback=callback, kind=kind)


def test_the_whole_of_a_payment_is_reversed_and_part_of_it_paid_by_b2c(daraja, paid, staff):
    EventHandler().handle_order_status_change(paid.order, "Cancelled")
    whole = start(paid, staff, 1250)
    assert whole.method == "reversal" and whole.status == Status.ACCEPTED
    assert daraja.refund_calls[-1]["receipt"] == paid.receipt_number
    deliver(daraja, whole, result_body(whole, code="R000002"))  # failed: nothing sent

    part = start(paid, staff, 1000, key="press-2")

    assert part.method == "b2c" and part.phone == "254712345678"
    assert daraja.refund_calls[-1] == {
        "kind": "b2c",
        "phone": "254712345678",
        "amount": 1000,
        "result_url": daraja.refund_calls[-1]["result_url"],
    }


def test_a_refund_never_exceeds_what_the_payment_holds(daraja, paid, staff):
    EventHandler().handle_order_status_change(paid.order, "Cancelled")
    with pytest.raises(services.RefundRefused, match="At most KSh"):
        start(paid, staff, 1251)
    made = start(paid, staff, 1000)
    with pytest.raises(services.RefundRefused, match="under way"):
        start(paid, staff, 250, key="press-2")
    deliver(daraja, made, result_body(made))

    with pytest.raises(services.RefundRefused, match="At most KSh"):
        start(paid, staff, 251, key="press-3")
    start(paid, staff, 250, key="press-4")
    assert len(daraja.refund_calls) == 2


def test_everything_a_live_order_holds_is_refunded_only_once_it_is_cancelled(daraja, paid, staff):
    with pytest.raises(services.RefundRefused, match="cancel the order first"):
        start(paid, staff, 1250)
    with pytest.raises(services.RefundRefused, match="cancelled order"):
        services.order_refund_start(order=paid.order, actor=staff, idempotency_key="k")
    assert daraja.refund_calls == []


def test_the_same_press_twice_makes_one_refund(daraja, paid, staff):
    first = start(paid, staff, 250)
    second = start(paid, staff, 250)

    assert first.pk == second.pk
    assert MpesaRefund.objects.count() == 1 and len(daraja.refund_calls) == 1


def test_daraja_refusing_the_request_fails_the_refund_and_sends_nothing(daraja, paid, staff):
    daraja.refund_error = gateway.DarajaRejected(
        "Bad Request - Invalid Amount", error_code="400.002.02", http_status=400
    )
    made = start(paid, staff, 250)
    assert made.status == Status.FAILED and made.result_code == "400.002.02"
    assert services.refund_refusal(paid) is None  # staff may try again


def test_a_timeout_leaves_the_refund_unconfirmed_and_never_sends_it_again(
    daraja, paid, staff, settings
):
    daraja.refund_error = gateway.DarajaTimeout("No answer within 30 s")
    made = start(paid, staff, 250)
    assert made.status == Status.UNCONFIRMED
    daraja.refund_error = None
    settings.MPESA_REFUND_QUERY_AFTER_SECONDS = 0

    services.mpesa_reconcile()
    services.mpesa_reconcile()

    kinds = [call["kind"] for call in daraja.refund_calls]
    assert kinds == ["b2c", "status"]  # asked about (its own id), never paid again
    assert daraja.refund_calls[-1]["originator"] == made.originator_conversation_id
    with pytest.raises(services.RefundRefused, match="under way"):
        start(paid, staff, 250, key="press-2")


def test_an_unconfirmed_reversal_waits_for_staff_who_record_it_from_the_portal(
    daraja, paid, staff, settings
):
    EventHandler().handle_order_status_change(paid.order, "Cancelled")
    daraja.refund_error = gateway.DarajaTimeout("No answer within 30 s")
    made = start(paid, staff, 1250)
    settings.MPESA_REFUND_QUERY_AFTER_SECONDS = 0

    services.mpesa_reconcile()
    assert [call["kind"] for call in daraja.refund_calls] == ["reversal"]
    with pytest.raises(services.RefundRefused, match="receipt"):
        services.refund_staff_settle(refund=made, sent=True, actor=staff)
    services.refund_staff_settle(refund=made, sent=True, actor=staff, receipt_number="ske52pawr9")

    made.refresh_from_db()
    assert made.status == Status.COMPLETED and made.receipt_number == "SKE52PAWR9"
    assert paid.order.sources.get().amount_refunded == Decimal(1250)
    assert made.payment.events.filter(kind="refund_completed", actor=staff).exists()
    with pytest.raises(services.RefundRefused, match="settled already"):
        services.refund_staff_settle(refund=made, sent=False, actor=staff)
    assert books_audit().ok


def test_a_result_is_applied_once_and_a_later_failure_is_ignored(
    daraja, paid, staff, mailoutbox, django_capture_on_commit_callbacks
):
    made = start(paid, staff, 250)

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = [
            deliver(daraja, made, result_body(made)),
            deliver(daraja, made, result_body(made)),
            deliver(daraja, made, result_body(made, code=2001)),
        ]

    assert outcomes == ["applied", "duplicate", "ignored"]
    made.refresh_from_db()
    assert made.status == Status.COMPLETED and made.receipt_number == "SKE52PAWR9"
    source = paid.order.sources.get()
    assert source.amount_refunded == Decimal(250)
    assert source.transactions.filter(txn_type="Refund").count() == 1
    assert len([m for m in mailoutbox if "money sent back" in m.subject]) == 1
    assert books_audit().ok


def test_a_result_with_another_conversation_id_is_rejected(daraja, paid, staff):
    made = start(paid, staff, 250)
    forged = result_body(made).replace(made.conversation_id.encode(), b"AG_20990101_other")

    assert deliver(daraja, made, forged) == MpesaCallback.Outcome.REJECTED
    made.refresh_from_db()
    assert made.status == Status.ACCEPTED


def test_a_status_answer_without_a_verdict_changes_nothing(daraja, paid, staff):
    made = start(paid, staff, 250)
    unknown = json.dumps(
        {"Result": {"ResultCode": "R000002", "ResultDesc": "The OriginalTransactionID is invalid."}}
    ).encode()

    assert deliver(daraja, made, unknown, kind=refunds.ResultKind.STATUS) == "ignored"
    made.refresh_from_db()
    assert made.status == Status.ACCEPTED


def test_a_refund_taken_off_the_books_by_hand_is_a_breach(daraja, paid, staff):
    made = start(paid, staff, 250)
    deliver(daraja, made, result_body(made))
    assert books_audit().ok
    paid.order.sources.get().transactions.filter(txn_type="Refund").delete()

    kinds = {breach.kind for breach in books_audit(listed=None).breaches}

    assert BreachKind.REFUND_NOT_BOOKED in kinds


def test_unmatched_paybill_money_is_refunded_and_leaves_the_inbox(daraja, staff):
    payment = paybill_confirmed("999999", amount="700.00")
    assert payment.needs_attention

    made = start(payment, staff, 700)
    deliver(daraja, made, result_body(made))

    payment.refresh_from_db()
    assert made.kind == "unmatched" and made.method == "reversal"
    assert not payment.needs_attention
    report = books_audit()
    assert report.ok and report.refunded == Decimal(700) and report.waiting == 0


@pytest.mark.django_db(transaction=True)
def test_two_staff_pressing_refund_at_once_send_one(daraja, pending_order):
    if connection.vendor != "postgresql":
        pytest.fail("Concurrency is tested on PostgreSQL: set DATABASE_URL")
    attempt = initiate(pending_order)
    services.attempt_settle(attempt_id=attempt.pk, outcome=success(attempt))
    EventHandler().handle_order_status_change(pending_order, "Cancelled")
    attempt.refresh_from_db()
    people = [UserFactory(is_staff=True, is_superuser=True) for _ in range(4)]
    barrier = threading.Barrier(len(people))
    outcomes = []

    def press(person, n):
        try:
            barrier.wait()
            start(attempt, person, 1250, key=f"press-of-{n}")
            outcomes.append("sent")
        except services.RefundRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(p, n)) for n, p in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused", "refused", "refused", "sent"]
    assert MpesaRefund.objects.count() == 1 and len(daraja.refund_calls) == 1


@pytest.mark.django_db(transaction=True)
def test_a_result_settled_while_the_request_is_recorded_waits_instead_of_deadlocking(
    daraja, paid, staff
):
    """Every writer of a refund locks its payment first, then the refund (``refund_settle``
    and the recording of Daraja's answer alike). Locked the other way round, a fast result
    deadlocked with the request's own bookkeeping and was lost (seen in CI)."""
    if connection.vendor != "postgresql":
        pytest.fail("Concurrency is tested on PostgreSQL: set DATABASE_URL")
    EventHandler().handle_order_status_change(paid.order, "Cancelled")
    made = start(paid, staff, 1250)
    holding = threading.Event()
    errors = []

    def record_the_answer():  # what refund_send does once Daraja has answered
        try:
            with transaction.atomic():
                refund = refunds._locked_refund(made.pk)
                holding.set()
                time.sleep(0.5)  # the result arrives meanwhile
                record_event(refund.payment, "refund_accepted", "recorded while a result came")
        except Exception as exc:  # noqa: BLE001 - the test reports whatever went wrong
            errors.append(exc)
        finally:
            connection.close()

    def settle_the_result():
        try:
            holding.wait(5)
            outcome = refunds.RefundOutcome(
                success=True,
                result_code="0",
                result_desc="ok",
                receipt_number="SKE52PAWR9",
                amount=Decimal("1250"),
            )
            refunds.refund_settle(refund_id=made.pk, outcome=outcome)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=record_the_answer),
        threading.Thread(target=settle_the_result),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    made.refresh_from_db()
    assert made.status == Status.COMPLETED
