"""Part payments and top-ups through the Daraja simulator: money below what an order is due
is applied to it, the customer sees what is left and pays it by a new prompt or by Paybill,
and the order becomes Paid once, by the same road as any payment."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from oscar.core.loading import get_model

from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa import services
from apps.payment.mpesa.audit import books_audit
from apps.payment.mpesa.waiting import waiting_page_url

from .conftest import SUCCESS, debits, pay_by_paybill, wait_until
from .test_order_page_payment import guest_order_page

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

Order = get_model("order", "Order")
OrderStatusChange = get_model("order", "OrderStatusChange")
PaymentEvent = get_model("order", "PaymentEvent")
Status = MpesaPaymentAttempt.Status

PART_PAID = "Paid KSh\xa01,000 of KSh\xa01,250 — balance KSh\xa0250"


def part_paid_by_paybill(paybill, order, amount=1000):
    client = paybill(validation=True)
    pay_by_paybill(client, amount, order.number)
    return wait_until(
        lambda: MpesaPaymentAttempt.objects.filter(
            channel="paybill", recorded_on_order=True
        ).first(),
        what="the part payment applied",
    )


def test_a_paybill_part_payment_then_the_balance_by_prompt_pays_the_order_once(
    django_app,
    paybill,
    pending_order,
):
    part = part_paid_by_paybill(paybill, pending_order)

    waiting = django_app.get(waiting_page_url(pending_order.number))
    assert PART_PAID in waiting.html.select_one("#mpesa-part-paid").text
    assert "KSh\xa0250" in waiting.html.select_one("#mpesa-paybill").text
    status = django_app.get(waiting.request.path + "status/").json
    assert status["state"] == "part_paid" and status["can_resend"] is True
    assert status["balance"] == "250.00" and status["part_payment"] == PART_PAID

    form = next(f for f in waiting.forms.values() if f.action.endswith("/resend/"))
    form["phone"] = SUCCESS
    form.submit().follow()

    balance_prompt = wait_until(
        lambda: pending_order.mpesa_attempts.filter(channel="stk", status=Status.SUCCEEDED).first(),
        what="the balance paid by prompt",
    )
    assert balance_prompt.amount == Decimal("250")  # only the balance was asked for
    wait_until(lambda: Order.objects.get(pk=pending_order.pk).status == "Paid", what="paid")
    pending_order.refresh_from_db()
    assert list(debits(pending_order).order_by("pk").values_list("amount", "reference")) == [
        (Decimal("1000.00"), part.receipt_number),
        (Decimal("250.00"), balance_prompt.receipt_number),
    ]
    assert list(
        PaymentEvent.objects.filter(order=pending_order)
        .order_by("pk")
        .values_list("event_type__name", "amount")
    ) == [("Part payment", Decimal("1000.00")), ("Paid", Decimal("250.00"))]
    assert OrderStatusChange.objects.filter(order=pending_order, new_status="Paid").count() == 1
    wait_until(lambda: len(mail.outbox) == 1, what="one confirmation email")
    assert books_audit().ok


def test_the_balance_can_be_paid_by_paybill_too(paybill, pending_order):
    part_paid_by_paybill(paybill, pending_order)
    client = paybill(validation=True)

    pay_by_paybill(client, 250, pending_order.number)

    wait_until(lambda: Order.objects.get(pk=pending_order.pk).status == "Paid", what="paid")
    assert sorted(debits(pending_order).values_list("amount", flat=True)) == [
        Decimal("250.00"),
        Decimal("1000.00"),
    ]
    assert not MpesaPaymentAttempt.objects.filter(needs_attention=True).exists()
    assert books_audit().ok


def test_an_order_page_shows_what_was_paid_and_what_is_left(
    django_app,
    paybill,
    pending_order,
    settings,
):
    settings.MPESA_C2B_ENABLED = True
    part_paid_by_paybill(paybill, pending_order)

    box = guest_order_page(django_app, pending_order).html.select_one("#mpesa-pay-pending")

    assert PART_PAID in box.text
    assert "Amount: KSh\xa0250" in re.sub(r"[ \t\n]+", " ", box.text)


def test_a_balance_topped_up_beyond_the_due_pays_the_order_and_flags_the_excess(
    paybill,
    pending_order,
):
    part_paid_by_paybill(paybill, pending_order)
    client = paybill(validation=True)

    pay_by_paybill(client, 400, pending_order.number)

    wait_until(lambda: Order.objects.get(pk=pending_order.pk).status == "Paid", what="paid")
    top_up = MpesaPaymentAttempt.objects.get(channel="paybill", amount_paid=Decimal("400"))
    assert top_up.needs_attention and "KSh\xa0150 beyond" in top_up.attention_reason
    assert services.order_money(pending_order).received == Decimal("1250")
    assert books_audit().ok  # the excess waits in "Needs attention"
