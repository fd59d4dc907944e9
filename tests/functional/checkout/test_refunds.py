"""Refunds from the dashboard through the Daraja simulator, over HTTP: staff press Refund (and
confirm), the shop sends a Reversal or a B2C payment, the simulator moves the money and
POSTs the result back to the refund's own URL; a lost result is settled by Transaction
Status from the reconciliation. The books balance after each flow (conftest's audit)."""

from decimal import Decimal

import pytest
import requests
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from oscar.core.loading import get_class, get_model
from oscar.test.factories import UserFactory

from apps.daraja_simulator.models import CallbackDelivery, Disbursement
from apps.payment.models import MpesaCallback, MpesaPaymentAttempt, MpesaRefund
from apps.payment.mpesa import services

from .conftest import pay_by_paybill, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

Order = get_model("order", "Order")
PaymentEvent = get_model("order", "PaymentEvent")
Transaction = get_model("payment", "Transaction")
EventHandler = get_class("order.processing", "EventHandler")
Status = MpesaRefund.Status

PAYER = "254708374149"
NO_RESULT = "254700000404"  # the simulator never POSTs the results of this phone's money


@pytest.fixture
def refunder(client):
    staff = UserFactory(is_staff=True, is_superuser=True, email="refunds@duka.example")
    client.force_login(staff)
    return client


def paid_by_stk(order, phone=PAYER) -> MpesaPaymentAttempt:
    """The order paid by an STK push through the simulator, as checkout pays it."""
    attempt = services.stk_push_initiate(
        order_number=order.number, amount=order.total_incl_tax, phone=phone
    )
    services.attempt_attach_order(attempt=attempt, order=order)
    if phone == NO_RESULT:  # its callback is never sent: the STK query tells
        services.attempt_refresh_from_daraja(attempt=attempt, force=True)
    wait_until(lambda: Order.objects.get(pk=order.pk).status == "Paid", what="the order paid")
    attempt.refresh_from_db()
    return attempt


def refund(client, payment, amount, phone="", reason="Customer asked"):
    """Dashboard: Refund…, review, then "Send the refund" (pressed ``presses`` times)."""
    url = reverse("mpesa-dashboard:transaction-refund", kwargs={"pk": payment.pk})
    assert client.get(url).status_code == 200
    review = client.post(url, {"amount": str(amount), "phone": phone, "reason": reason})
    assert review.status_code == 200 and "confirm" in review.context, review.content[:3000]
    confirm = review.context["confirm"]
    data = {name: confirm.initial.get(name, "") for name in confirm.fields}
    return client.post(url, data), data


def settled(refund_id) -> MpesaRefund:
    return wait_until(
        lambda: MpesaRefund.objects.filter(
            pk=refund_id, status__in=(Status.COMPLETED, Status.FAILED)
        ).first(),
        what="the refund's result",
    )


def only_refund() -> MpesaRefund:
    [made] = MpesaRefund.objects.all()
    return settled(made.pk)


def refund_txns(order):
    return Transaction.objects.filter(source__order=order, txn_type=Transaction.REFUND)


def money_received(live_url: str) -> list[dict]:
    return [
        item
        for item in requests.get(live_url + "/daraja-sim/refunds/", timeout=10).json()["refunds"]
        if item["state"] == "completed"
    ]


def test_a_cancelled_order_is_refunded_whole_by_reversal(daraja_simulator, refunder, pending_order):
    payment = paid_by_stk(pending_order)
    EventHandler().handle_order_status_change(pending_order, "Cancelled")
    payment.refresh_from_db()
    assert payment.needs_attention  # flagged for a refund by the cancel
    page = refunder.get(reverse("dashboard:order-detail", kwargs={"number": "100777"}))
    assert 'id="mpesa-order-refund"' in page.content.decode()

    url = reverse("mpesa-dashboard:order-refund", kwargs={"number": "100777"})
    confirm = refunder.get(url).context["confirm"]
    response = refunder.post(
        url, {"reason": "Out of stock", "idempotency_key": confirm.initial["idempotency_key"]}
    )

    assert response.status_code == 302
    made = only_refund()
    assert made.status == Status.COMPLETED and made.method == "reversal"
    assert made.kind == "order" and made.amount == Decimal(1250) and made.receipt_number
    [txn] = refund_txns(pending_order)
    assert txn.amount == Decimal(1250) and txn.reference == payment.receipt_number
    event = PaymentEvent.objects.get(order=pending_order, event_type__name="Refunded")
    assert event.amount == Decimal(1250) and event.reference == made.receipt_number
    assert services.order_money(pending_order).received == 0
    payment.refresh_from_db()
    assert not payment.needs_attention and "Refunded" in payment.resolution_note
    [sent] = money_received(daraja_simulator.url)
    assert sent["phone"] == PAYER and sent["original_receipt"] == payment.receipt_number
    assert "Money received" in requests.get(daraja_simulator.url + "/daraja-sim/phone/").text
    [email] = [m for m in mail.outbox if "money sent back" in m.subject]
    assert made.receipt_number in email.body and email.to == ["wanjiku@example.com"]
    panel = refunder.get(reverse("dashboard:order-detail", kwargs={"number": "100777"}))
    assert 'id="mpesa-refunds"' in panel.content.decode()


def test_part_of_a_paid_order_goes_back_by_b2c_and_the_order_stays_paid(
    daraja_simulator, refunder, pending_order
):
    payment = paid_by_stk(pending_order)

    response, _data = refund(refunder, payment, 250, reason="One towel out of stock")

    assert response.status_code == 302
    made = only_refund()
    assert made.status == Status.COMPLETED and made.method == "b2c" and made.kind == "part"
    assert made.phone == PAYER
    pending_order.refresh_from_db()
    assert pending_order.status == "Paid"
    assert [t.amount for t in refund_txns(pending_order)] == [Decimal(250)]
    assert services.refundable_money(payment).refundable == Decimal(1000)
    listing = refunder.get(reverse("mpesa-dashboard:transaction-list")).content.decode()
    assert "refunded KSh" in listing.replace("\xa0", " ")
    export = b"".join(refunder.get(reverse("mpesa-dashboard:transaction-export")).streaming_content)
    assert b"Refunded" in export and b"250" in export


def test_an_overpayment_by_paybill_is_sent_back_to_the_number_staff_give(
    paybill, daraja_simulator, refunder, pending_order
):
    pay_by_paybill(paybill(validation=False), 1500, pending_order.number)
    wait_until(lambda: Order.objects.get(pk=pending_order.pk).status == "Paid", what="paid")
    payment = MpesaPaymentAttempt.objects.get(channel="paybill")
    assert payment.needs_attention

    url = reverse("mpesa-dashboard:transaction-refund", kwargs={"pk": payment.pk})
    masked = refunder.post(url, {"amount": "250", "reason": "Paid too much"})
    assert "masked" in masked.content.decode()
    response, _data = refund(refunder, payment, 250, phone="0708 374 149")

    made = only_refund()
    assert made.status == Status.COMPLETED and made.kind == "overpayment"
    assert made.method == "b2c" and made.from_order == 0
    payment.refresh_from_db()
    assert not payment.needs_attention  # the excess is back: out of the inbox
    assert services.order_money(pending_order).received == Decimal(1250)
    assert PaymentEvent.objects.filter(order=pending_order, event_type__name="Refunded").exists()


def test_a_second_payment_for_an_order_is_reversed(
    paybill, daraja_simulator, refunder, pending_order
):
    client = paybill(validation=False)
    pay_by_paybill(client, 1250, pending_order.number)
    wait_until(lambda: Order.objects.get(pk=pending_order.pk).status == "Paid", what="paid")
    pay_by_paybill(client, 1250, pending_order.number)
    second = wait_until(
        lambda: MpesaPaymentAttempt.objects.filter(needs_attention=True).first(), what="second"
    )

    refund(refunder, second, 1250, reason="Paid twice")

    made = only_refund()
    assert made.status == Status.COMPLETED and made.kind == "duplicate"
    assert made.method == "reversal"
    second.refresh_from_db()
    assert not second.needs_attention
    assert services.order_money(pending_order).received == Decimal(1250)


def test_unmatched_paybill_money_is_reversed(paybill, daraja_simulator, refunder, pending_order):
    pay_by_paybill(paybill(validation=False), 700, "999999")
    payment = wait_until(
        lambda: MpesaPaymentAttempt.objects.filter(channel="paybill").first(), what="payment"
    )

    refund(refunder, payment, 700, reason="No such order")

    made = only_refund()
    assert made.status == Status.COMPLETED and made.kind == "unmatched" and made.order is None
    payment.refresh_from_db()
    assert not payment.needs_attention
    assert refunder.get(reverse("mpesa-dashboard:refund-list")).status_code == 200


@pytest.mark.parametrize(
    "fault, code",
    [("float", "1"), ("initiator", "2001"), ("credential", "2001"), ("reversed", "R000001")],
)
def test_a_refund_m_pesa_fails_sends_nothing_and_keeps_the_money_for_staff(
    paybill, daraja_simulator, refunder, pending_order, settings, fault, code
):
    pay_by_paybill(paybill(validation=False), 700, "999999")
    payment = wait_until(
        lambda: MpesaPaymentAttempt.objects.filter(channel="paybill").first(), what="payment"
    )
    sim = daraja_simulator.url + "/daraja-sim/"
    if fault == "float":
        requests.post(sim + "float/", {"shortcode": "174379", "balance": "100"}, timeout=10)
    elif fault == "initiator":
        settings.MPESA_INITIATOR_NAME = "someone-else"
    elif fault == "credential":
        settings.MPESA_INITIATOR_PASSWORD = "not-the-password"
    else:
        requests.post(sim + "reversed/", {"receipt": payment.receipt_number}, timeout=10)

    refund(refunder, payment, 700)

    made = only_refund()
    assert made.status == Status.FAILED and made.result_code == code
    payment.refresh_from_db()
    assert payment.needs_attention  # still waiting for staff: nothing went back
    assert money_received(daraja_simulator.url) == []
    assert services.refund_refusal(payment) is None  # staff may try again


def test_a_lost_result_is_settled_by_transaction_status_from_the_reconciliation(
    daraja_simulator, refunder, pending_order, settings
):
    payment = paid_by_stk(pending_order, phone=NO_RESULT)
    refund(refunder, payment, 250)
    made = MpesaRefund.objects.get()
    assert made.status == Status.ACCEPTED  # the simulator moved the money, told nobody
    assert money_received(daraja_simulator.url)

    settings.MPESA_REFUND_QUERY_AFTER_SECONDS = 0
    call_command("mpesa_reconcile", stdout=open("/dev/null", "w"))

    made = settled(made.pk)
    assert made.status == Status.COMPLETED and made.receipt_number
    assert made.receipt_number == Disbursement.objects.get().receipt_number
    assert [t.amount for t in refund_txns(pending_order)] == [Decimal(250)]
    assert made.payment.events.filter(kind="refund_status_asked").exists()


def test_duplicate_and_forged_results_change_nothing(daraja_simulator, refunder, pending_order):
    payment = paid_by_stk(pending_order)
    refund(refunder, payment, 250)
    made = only_refund()
    # The simulator records its POST once the shop has answered it.
    delivered = wait_until(
        lambda: CallbackDelivery.objects.filter(kind=CallbackDelivery.Kind.REFUND_RESULT).first(),
        what="the simulator's record of the result",
    )
    before = (refund_txns(pending_order).count(), PaymentEvent.objects.count(), len(mail.outbox))

    again = requests.post(delivered.url, data=delivered.body.encode(), timeout=10)
    forged_token = requests.post(
        delivered.url.replace("/refunds/", "/refunds/0"), data=delivered.body, timeout=10
    )
    other_request = requests.post(
        delivered.url,
        data=delivered.body.replace(made.conversation_id, "AG_20990101_forged"),
        timeout=10,
    )
    failure = requests.post(
        delivered.url,
        data=delivered.body.replace('"ResultCode": 0', '"ResultCode": 2001'),
        timeout=10,
    )

    assert again.status_code == 200 and failure.status_code == 200
    assert forged_token.status_code == 404 and other_request.status_code == 400
    made.refresh_from_db()
    assert made.status == Status.COMPLETED
    assert (
        refund_txns(pending_order).count(),
        PaymentEvent.objects.count(),
        len(mail.outbox),
    ) == before
    outcomes = list(MpesaCallback.objects.filter(refund=made).values_list("outcome", flat=True))
    assert sorted(outcomes) == ["applied", "duplicate", "ignored", "rejected"]
    assert MpesaCallback.objects.filter(refund=None, outcome="rejected").count() == 1
    page = refunder.get(reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": payment.pk}))
    assert page.content.decode().count('class="bg-light p-2 mpesa-refund-result"') == 4


def test_pressing_send_again_sends_nothing_more(daraja_simulator, refunder, pending_order):
    payment = paid_by_stk(pending_order)
    response, data = refund(refunder, payment, 250)
    url = reverse("mpesa-dashboard:transaction-refund", kwargs={"pk": payment.pk})

    again = refunder.post(url, data)

    assert response.status_code == again.status_code == 302
    only_refund()
    assert Disbursement.objects.count() == 1
