"""Nobody can block another shopper's M-Pesa: prompt limits count prompts that went out,
not requests (two shoppers, two browsers, the simulator over HTTP)."""

import pytest
from django.test import Client
from oscar.core.loading import get_model

from apps.payment.models import MpesaAttemptStatus as Status
from apps.payment.models import MpesaPaymentAttempt, MpesaPromptCount
from apps.payment.mpesa.services import limits
from tests.functional.checkout.conftest import (
    place_order_and_pay,
    to_payment_details,
    wait_for_attempt,
    wait_until,
)

Order = get_model("order", "Order")

STRANGER = "0712 345 678"  # waits on the simulator's virtual phone


def resend(app, waiting_path, phone):
    page = app.get(waiting_path)
    form = next(f for f in page.forms.values() if f.action.endswith("/resend/"))
    form["phone"] = phone
    return form.submit().follow()


@pytest.mark.django_db(transaction=True)
def test_requests_naming_a_strangers_phone_cannot_block_the_stranger(
    django_app, catalogue, daraja_simulator, settings
):
    settings.MPESA_PROMPTS_PER_PHONE = 2
    settings.MPESA_RESEND_SPACING_SECONDS = 120

    # The attacker's order fails on their own phone, then they ask seven times for the
    # prompt to go to a stranger's number.
    attacker = django_app
    waiting = place_order_and_pay(
        attacker, to_payment_details(attacker, catalogue.kettle), phone="0700 001 032"
    ).follow()
    attackers_order = Order.objects.get()
    wait_for_attempt(attackers_order.number, Status.FAILED)
    answers = [resend(attacker, waiting.request.path, STRANGER) for _ in range(7)]

    assert "A new prompt is on its way" in answers[0]
    assert all("still open" in answer for answer in answers[1:])
    spam = MpesaPaymentAttempt.objects.get(phone="254712345678")
    key = limits.limit_key("phone", "254712345678")
    assert MpesaPromptCount.objects.get(kind="phone", key=key).count == 1

    # The stranger declines the one prompt that reached them, then shops and pays, in
    # their own browser.
    Client().post(f"/daraja-sim/phone/{spam.checkout_request_id}/", {"decline": "1"})
    wait_for_attempt(attackers_order.number, Status.FAILED)
    stranger = django_app.__class__()
    waiting = place_order_and_pay(
        stranger, to_payment_details(stranger, catalogue.kettle), phone=STRANGER
    )
    assert waiting.status_code == 302, waiting.text[:400]
    own_order = Order.objects.exclude(pk=attackers_order.pk).get()
    prompt = wait_for_attempt(own_order.number, Status.PENDING)
    Client().post(f"/daraja-sim/phone/{prompt.checkout_request_id}/", {"pin": "4321"})

    wait_until(lambda: Order.objects.get(pk=own_order.pk).status == "Paid", what="paid")
    assert MpesaPromptCount.objects.get(kind="phone", key=key).count == 2


def test_a_refused_request_leaves_the_shopper_every_prompt(
    django_app, catalogue, daraja_simulator, settings
):
    """A busy Daraja refuses the push: the shopper tries again and is not held back."""
    settings.MPESA_PROMPTS_PER_SESSION = 1
    payment_page = to_payment_details(django_app, catalogue.kettle)
    refused = place_order_and_pay(django_app, payment_page, phone="0700 000 500")
    assert "busy" in refused.text
    assert Order.objects.count() == 0

    response = place_order_and_pay(django_app, django_app.get("/checkout/payment-details/"))

    assert response.status_code == 302 and "/checkout/pay/" in response["Location"]
    wait_until(lambda: Order.objects.filter(status="Paid").exists(), what="order paid")
