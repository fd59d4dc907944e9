"""One number from basket to phone to books: a kettle at KSh 2,900 delivered in Nairobi
(KSh 250) is KSh 3,150 VAT included on the checkout's preview, on the phone's prompt, on
the staff's order page, on the thank-you page and in the confirmation email."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from apps.payment.models import MpesaPaymentAttempt
from tests.functional.storefront.conftest import add_product

from .conftest import (
    Order,
    emails_to,
    place_order_and_pay,
    to_payment_details,
    wait_for_attempt,
    wait_until,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

GUEST = "wanjiku@example.co.ke"
KSH = "KSh\xa0"


def test_the_order_total_is_the_amount_prompted_shown_to_staff_and_mailed(
    django_app, catalogue, daraja_simulator
):
    kettle = add_product("Steel kettle", catalogue.kitchen, "Household", "2900", 5)
    payment_page = to_payment_details(django_app, kettle)

    response = place_order_and_pay(django_app, payment_page)

    order = Order.objects.get()
    assert order.shipping_incl_tax == Decimal("250")
    attempt = wait_for_attempt(order.number, MpesaPaymentAttempt.Status.SUCCEEDED)
    assert attempt.amount == order.total_incl_tax == Decimal("3150")
    assert order.total_tax == Decimal("434.48")

    wait_until(lambda: Order.objects.get().status == "Paid", what="order paid")
    thank_you = response.follow().maybe_follow()
    assert f"data-order-total>{KSH}3,150<" in thank_you.text
    assert f"data-order-vat>{KSH}434.48<" in thank_you.text

    boss = get_user_model().objects.create_user(
        username="boss", email="boss@duka.example", password="pw", is_staff=True
    )
    boss.is_superuser = True
    boss.save()
    staff_page = django_app.get(f"/dashboard/orders/{order.number}/", user=boss)
    shown_total = staff_page.html.select_one("#order-total").get_text(" ", strip=True)
    assert shown_total.startswith(f"{KSH}3,150")
    assert f"of which VAT {KSH}434.48" in shown_total

    wait_until(lambda: emails_to(GUEST), what="confirmation email")
    [email] = emails_to(GUEST)
    assert f"Order total: {KSH}3,150" in email.body
    assert f"of which VAT: {KSH}434.48" in email.body


def test_the_preview_shows_the_total_with_its_vat_and_the_same_prompt(
    django_app, catalogue, daraja_simulator
):
    kettle = add_product("Steel kettle", catalogue.kitchen, "Household", "2900", 5)
    payment_page = to_payment_details(django_app, kettle)
    form = payment_page.forms["mpesa_phone_form"]
    form["phone"] = "0708374149"

    preview = form.submit()

    total = preview.html.select_one("[data-order-total]").get_text(strip=True)
    vat = preview.html.select_one("[data-order-vat]").get_text(strip=True)
    assert (total, vat) == (f"{KSH}3,150", f"{KSH}434.48")
    assert "Order total incl. VAT" in preview.text
    assert f"A prompt for {KSH}3,150 will be sent" in preview.html.get_text(" ", strip=True)
