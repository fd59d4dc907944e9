"""Paybill (C2B) payments through the Daraja simulator: the customer pays from the phone's
M-Pesa menu, typing the order number as the account number."""

import json
from decimal import Decimal

import pytest
import requests
from oscar.core.loading import get_model
from oscar.test.factories import UserFactory

from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa import services

from .conftest import debits, pay_by_paybill, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

Order = get_model("order", "Order")
Status = MpesaPaymentAttempt.Status


def wait_for_payment():
    return wait_until(
        lambda: MpesaPaymentAttempt.objects.filter(channel="paybill").first(),
        what="a Paybill payment",
    )


def test_an_exact_payment_pays_the_order(paybill, pending_order):
    client = paybill()
    pay_by_paybill(client, 1250, f" #{pending_order.number} ")

    payment = wait_for_payment()
    wait_until(lambda: Order.objects.get(pk=pending_order.pk).status == "Paid", what="paid")
    payment.refresh_from_db()
    assert payment.order == pending_order and payment.status == Status.SUCCEEDED
    assert not payment.needs_attention
    [debit] = debits(pending_order)
    assert debit.reference == payment.receipt_number


def test_validation_refuses_an_unknown_account_so_no_money_moves(paybill, pending_order):
    client = paybill(validation=True)
    pay_by_paybill(client, 1250, "999999")

    def finished():
        payments = requests.get(client.base_url + "/daraja-sim/c2b/", timeout=10).json()
        return [p for p in payments["payments"] if p["state"] != "sent"]

    [simulated] = wait_until(finished, what="the simulator to finish")
    assert simulated["state"] == "rejected" and "C2B00012" in json.dumps(simulated)
    assert not MpesaPaymentAttempt.objects.exists()


def test_a_payment_that_matches_no_order_lands_in_the_inbox(paybill, pending_order):
    client = paybill(validation=False)
    pay_by_paybill(client, 1250, "999999")

    payment = wait_for_payment()
    assert payment.status == Status.REVIEW and payment.needs_attention
    assert "matches no order" in payment.attention_reason
    assert payment.amount_paid == Decimal(1250)
    pending_order.refresh_from_db()
    assert pending_order.status == "Pending payment"
    assert not debits(pending_order).exists()


def test_a_payment_below_the_amount_due_is_applied_as_a_part_payment(paybill, pending_order):
    client = paybill(validation=True)  # validation accepts less than the amount due
    pay_by_paybill(client, 1000, pending_order.number)

    payment = wait_until(
        lambda: MpesaPaymentAttempt.objects.filter(
            channel="paybill", recorded_on_order=True
        ).first(),
        what="the part payment applied",
    )
    assert payment.status == Status.SUCCEEDED and not payment.needs_attention
    pending_order.refresh_from_db()
    assert pending_order.status == "Pending payment"
    [debit] = debits(pending_order)
    assert debit.amount == Decimal(1000) and debit.reference == payment.receipt_number
    assert services.order_money(pending_order).balance == Decimal(250)


def test_a_payment_above_the_amount_due_pays_the_order_and_flags_the_excess(paybill, pending_order):
    client = paybill(validation=False)
    pay_by_paybill(client, 1500, pending_order.number)

    wait_until(lambda: Order.objects.get(pk=pending_order.pk).status == "Paid", what="paid")
    payment = wait_for_payment()
    assert payment.needs_attention and "KSh\xa0250 beyond" in payment.attention_reason
    [debit] = debits(pending_order)
    assert debit.amount == Decimal(1250)


def test_a_payment_for_an_order_already_paid_lands_in_the_inbox(paybill, pending_order):
    client = paybill(validation=False)
    pay_by_paybill(client, 1250, pending_order.number)
    wait_until(lambda: Order.objects.get(pk=pending_order.pk).status == "Paid", what="paid")
    pay_by_paybill(client, 1250, pending_order.number)

    second = wait_until(
        lambda: MpesaPaymentAttempt.objects.filter(channel="paybill", needs_attention=True).first(),
        what="the second payment",
    )
    assert "already paid" in second.attention_reason
    assert debits(pending_order).count() == 1


def test_staff_matching_a_mistyped_payment_pays_the_order_once(paybill, pending_order):
    client = paybill(validation=False)
    pay_by_paybill(client, 1250, "1OO777")  # letter O for zero
    payment = wait_for_payment()
    staff = UserFactory(is_staff=True)

    services.staff_match_payment(payment=payment, order_number=pending_order.number, actor=staff)
    with pytest.raises(services.MpesaPaymentError):
        services.staff_match_payment(
            payment=payment, order_number=pending_order.number, actor=staff
        )

    pending_order.refresh_from_db()
    payment.refresh_from_db()
    assert pending_order.status == "Paid"
    assert debits(pending_order).count() == 1
    assert not payment.needs_attention and payment.resolved_by == staff
    assert payment.events.filter(kind="staff_match", actor=staff).exists()


def test_a_duplicate_confirmation_changes_nothing(
    paybill,
    pending_order,
    daraja_simulator,
    settings,
):
    client = paybill(validation=False)
    pay_by_paybill(client, 1250, pending_order.number)
    payment = wait_for_payment()
    wait_until(lambda: Order.objects.get(pk=pending_order.pk).status == "Paid", what="paid")

    url = daraja_simulator.url + f"/payments/c2b/{settings.MPESA_C2B_PATH_SECRET}/confirmation/"
    answer = requests.post(url, json=payment.response_body, timeout=10)

    assert answer.status_code == 200 and answer.json()["ResultCode"] == 0
    assert MpesaPaymentAttempt.objects.filter(channel="paybill").count() == 1
    assert debits(pending_order).count() == 1
