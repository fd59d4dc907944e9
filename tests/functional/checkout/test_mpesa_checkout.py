"""Pay with M-Pesa at checkout, end to end, for each of the simulator's test numbers."""

import json
from decimal import Decimal

import pytest
import requests
from django.core.management import call_command
from oscar.test.factories import UserFactory

from apps.payment.models import MpesaCallback, MpesaPaymentAttempt

from .conftest import (
    SUCCESS,
    Order,
    debits,
    emails_to,
    place_order_and_pay,
    to_payment_details,
    wait_for_attempt,
    wait_until,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

Status = MpesaPaymentAttempt.Status
GUEST = "wanjiku@example.co.ke"


def test_guest_pays_and_lands_on_the_thank_you_page_with_the_receipt(
    django_app, catalogue, daraja_simulator
):
    payment_page = to_payment_details(django_app, catalogue.kettle)
    assert payment_page.forms["mpesa_phone_form"]["phone"].value == "0712345678"
    assert "KSh\xa0" in payment_page.text  # the exact amount the phone will show

    response = place_order_and_pay(django_app, payment_page)

    assert response.status_code == 302 and "/checkout/pay/" in response["Location"]
    order = Order.objects.get()
    assert order.guest_email == GUEST
    attempt = wait_for_attempt(order.number, Status.SUCCEEDED)
    wait_until(lambda: Order.objects.get().status == "Paid", what="order paid")

    thank_you = response.follow().maybe_follow()
    assert thank_you.request.path == "/checkout/thank-you/"
    assert attempt.receipt_number in thank_you
    order.refresh_from_db()
    [debit] = debits(order)
    assert debit.amount == attempt.amount == order.total_incl_tax
    wait_until(lambda: emails_to(GUEST), what="confirmation email")
    assert len(emails_to(GUEST)) == 1


def test_no_confirmation_email_until_the_money_arrives(django_app, catalogue, daraja_simulator):
    payment_page = to_payment_details(django_app, catalogue.kettle)
    # Any number outside the scripted ones waits on the virtual phone for a PIN.
    place_order_and_pay(django_app, payment_page, phone="0799 123 456")
    order = Order.objects.get()
    assert order.status == "Pending payment"
    assert emails_to(GUEST) == []


@pytest.mark.parametrize(
    "phone, code, words",
    [
        ("0700001032", "1032", "cancelled"),
        ("0700002001", "2001", "PIN was wrong"),
        ("0700000001", "1", "balance was not enough"),
        ("0700001037", "1037", "did not answer"),
    ],
)
def test_a_failed_payment_explains_why_and_sending_again_pays_the_same_order(
    django_app, catalogue, daraja_simulator, phone, code, words
):
    payment_page = to_payment_details(django_app, catalogue.kettle)
    waiting = place_order_and_pay(django_app, payment_page, phone=phone).follow()
    order = Order.objects.get()
    failed = wait_for_attempt(order.number, Status.FAILED)
    assert failed.result_code == code

    status = django_app.get(waiting.request.path + "status/").json
    assert status["state"] == "failed" and status["can_resend"] is True
    assert words in status["message"]
    waiting = django_app.get(waiting.request.path)
    assert words in waiting
    order.refresh_from_db()
    assert order.status == "Pending payment"

    form = next(f for f in waiting.forms.values() if f.action.endswith("/resend/"))
    form["phone"] = SUCCESS
    form.submit().follow()

    wait_until(lambda: Order.objects.get().status == "Paid", what="order paid after resend")
    assert debits(order).count() == 1
    assert order.mpesa_attempts.count() == 2


def test_a_callback_delivered_twice_debits_once(django_app, catalogue, daraja_simulator):
    payment_page = to_payment_details(django_app, catalogue.kettle)
    place_order_and_pay(django_app, payment_page, phone="0700000202")
    order = Order.objects.get()
    wait_until(lambda: MpesaCallback.objects.count() == 2, what="two callbacks")
    wait_until(
        lambda: MpesaCallback.objects.filter(outcome="duplicate").exists(), what="processing"
    )

    order.refresh_from_db()
    assert order.status == "Paid"
    assert debits(order).count() == 1
    assert len(emails_to(GUEST)) == 1


def test_a_lost_callback_is_settled_by_the_waiting_pages_status_check(
    django_app, catalogue, daraja_simulator, settings
):
    settings.MPESA_QUERY_AFTER_SECONDS = 0
    settings.MPESA_QUERY_INTERVAL_SECONDS = 0
    payment_page = to_payment_details(django_app, catalogue.kettle)
    waiting = place_order_and_pay(django_app, payment_page, phone="0700000404").follow()
    order = Order.objects.get()

    # The page polls; each poll may ask Daraja, which answers "being processed" until the
    # customer has paid.
    status = wait_until(
        lambda: (
            (s := django_app.get(waiting.request.path + "status/").json)["state"] == "paid" and s
        ),
        what="the status check to settle the payment",
    )

    assert MpesaCallback.objects.count() == 0
    assert status["state"] == "paid"
    assert status["redirect_url"] == "/checkout/thank-you/"
    order.refresh_from_db()
    assert order.status == "Paid" and debits(order).count() == 1


def test_a_lost_callback_is_settled_by_mpesa_reconcile(django_app, catalogue, daraja_simulator):
    payment_page = to_payment_details(django_app, catalogue.kettle)
    place_order_and_pay(django_app, payment_page, phone="0700000404")
    order = Order.objects.get()
    # Daraja's side has decided (paid, no callback) before the shop's reconciliation runs.
    wait_until(
        lambda: (
            requests.get(daraja_simulator.url + "/daraja-sim/stk/", timeout=10).json()["pushes"][0][
                "state"
            ]
            == "succeeded"
        ),
        what="the simulated customer to pay",
    )
    MpesaPaymentAttempt.objects.update(
        created_at=MpesaPaymentAttempt.objects.get().created_at.replace(year=2020)
    )

    call_command("mpesa_reconcile")

    order.refresh_from_db()
    assert order.status == "Paid" and debits(order).count() == 1
    assert len(emails_to(GUEST)) == 1


def test_a_refused_push_places_no_order_and_keeps_the_basket(
    django_app, catalogue, daraja_simulator
):
    payment_page = to_payment_details(django_app, catalogue.kettle)
    response = place_order_and_pay(django_app, payment_page, phone="0700000500")

    assert response.status_code == 200
    assert "M-Pesa is busy right now" in response
    assert Order.objects.count() == 0
    basket = django_app.get("/basket/")
    assert catalogue.kettle.title in basket
    # And the customer can try again straight away.
    retry_page = django_app.get("/checkout/payment-details/")
    place_order_and_pay(django_app, retry_page, phone=SUCCESS)
    wait_until(lambda: Order.objects.filter(status="Paid").exists(), what="order paid")


def test_a_wrong_phone_number_is_refused_before_any_prompt(django_app, catalogue, daraja_simulator):
    payment_page = to_payment_details(django_app, catalogue.kettle)
    form = payment_page.forms["mpesa_phone_form"]
    form["phone"] = "0812 345"
    response = form.submit()

    assert response.status_code == 200
    assert "Enter a Kenyan mobile number" in response
    assert MpesaPaymentAttempt.objects.count() == 0


def test_a_signed_in_customer_pays_the_same_way(django_app, catalogue, daraja_simulator):
    user = UserFactory(email="otieno@example.co.ke")
    django_app.set_user(user)
    payment_page = to_payment_details(django_app, catalogue.kettle, shipping=None)
    place_order_and_pay(django_app, payment_page)

    wait_until(lambda: Order.objects.filter(status="Paid").exists(), what="order paid")
    order = Order.objects.get()
    assert order.user == user
    assert order.mpesa_attempts.get().user == user
    wait_until(lambda: emails_to("otieno@example.co.ke"), what="confirmation email")


def test_a_digital_only_basket_pays_without_shipping(django_app, catalogue, daraja_simulator):
    payment_page = to_payment_details(django_app, catalogue.voucher)
    assert payment_page.context["shipping_address"] is None
    place_order_and_pay(django_app, payment_page)

    wait_until(lambda: Order.objects.filter(status="Paid").exists(), what="order paid")
    order = Order.objects.get()
    assert order.shipping_address is None
    assert order.total_incl_tax == Decimal("1000.00")


def test_the_waiting_page_needs_the_orders_secret_hash(django_app, catalogue, daraja_simulator):
    payment_page = to_payment_details(django_app, catalogue.kettle)
    waiting_url = place_order_and_pay(django_app, payment_page)["Location"]
    number = Order.objects.get().number
    forged = f"/checkout/pay/{number}/not-the-hash/"

    assert django_app.get(forged, expect_errors=True).status_code == 404
    assert django_app.get(forged + "status/", expect_errors=True).status_code == 404
    assert django_app.get(waiting_url).status_code in (200, 302)


def test_placing_the_order_twice_sends_one_prompt_and_makes_one_order(
    django_app, catalogue, daraja_simulator
):
    payment_page = to_payment_details(django_app, catalogue.kettle)
    form = payment_page.forms["mpesa_phone_form"]
    form["phone"] = "0799 123 456"
    place_order_form = form.submit().forms["place_order_form"]

    first = place_order_form.submit()
    second = place_order_form.submit()  # the back button, or a second tab

    assert first.status_code == 302 and "/checkout/pay/" in first["Location"]
    assert second.status_code == 302
    assert Order.objects.count() == 1
    assert MpesaPaymentAttempt.objects.count() == 1


def test_too_many_prompts_from_one_address_are_refused_with_a_clear_message(
    django_app, catalogue, daraja_simulator, settings
):
    settings.MPESA_PROMPTS_PER_ADDRESS = 0
    payment_page = to_payment_details(django_app, catalogue.kettle)
    response = place_order_and_pay(django_app, payment_page)

    assert response.status_code == 200
    assert "Too many payment prompts" in response
    assert Order.objects.count() == 0
    assert MpesaPaymentAttempt.objects.count() == 0


def test_the_waiting_page_shows_the_phone_only_in_part_to_whoever_holds_the_link(
    django_app, catalogue, daraja_simulator
):
    payment_page = to_payment_details(django_app, catalogue.kettle)
    waiting = place_order_and_pay(django_app, payment_page, phone="0700 001 032").follow()
    order = Order.objects.get()
    wait_for_attempt(order.number, Status.FAILED)  # cancelled on the phone: "send again"

    own = django_app.get(waiting.request.path)
    resend = next(f for f in own.forms.values() if f.action.endswith("/resend/"))
    assert resend["phone"].value == "0700 001 032"  # the shopper's own browser

    stranger = django_app.__class__()  # another browser, with the link only
    page = stranger.get(waiting.request.path)
    status = stranger.get(waiting.request.path + "status/").json
    assert "0700 *** 032" in page.text and status["phone"] == "0700 *** 032"
    stranger_resend = next(f for f in page.forms.values() if f.action.endswith("/resend/"))
    assert stranger_resend["phone"].value == ""
    for full in ("700001032", "0700 001 032"):
        assert full not in page.text and full not in json.dumps(status)
