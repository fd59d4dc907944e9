"""A guest's order-status page (the order email's link): found whatever the capitals of the
email typed, in the shop's dress with a real heading, each line's status, the M-Pesa
receipts, the balance due and Pay now while unpaid; no review button for a guest."""

import pytest
from oscar.core.loading import get_model

from apps.payment.models import MpesaAttemptStatus as Status
from apps.payment.mpesa.waiting import waiting_page_url
from tests.functional.checkout.conftest import (
    SUCCESS,
    place_order_and_pay,
    to_payment_details,
    wait_for_attempt,
    wait_until,
)

Order = get_model("order", "Order")


def status_page(app, order, email):
    url = f"/accounts/order-status/{order.number}/{order.verification_hash()}/"
    form_page = app.get(url).follow()
    form = next(f for f in form_page.forms.values() if "email" in f.fields)
    form["email"] = email
    return form_page, form.submit()


@pytest.mark.django_db
def test_an_unpaid_guest_order_is_found_by_its_email_in_any_capitals(django_app, pending_order):
    assert pending_order.guest_email == "wanjiku@example.com"

    form_page, found = status_page(django_app, pending_order, "  Wanjiku@Example.COM ")
    page = found.follow()

    assert form_page.html.select_one("h1").text.strip() == f"Check order {pending_order.number}"
    assert page.html.select_one("h1").text.strip() == f"Order {pending_order.number}"
    assert [td.text.strip() for td in page.html.select("[data-line-status]")] == ["Pending payment"]
    assert page.html.select_one("[data-order-balance]").text == "KSh\xa01,250"
    box = page.html.select_one("#mpesa-pay-pending")
    assert box.select_one(f'a[href="{waiting_page_url(pending_order.number)}"]')
    assert "Write a review" not in page
    assert not page.html.select("a[href*='/reviews/']")


@pytest.mark.django_db
def test_another_email_does_not_find_the_order(django_app, pending_order):
    _form_page, refused = status_page(django_app, pending_order, "kamau@example.com")

    assert refused.status_code == 200
    assert "Order not found" in refused.html.select_one("[role=alert]").text
    assert "Kikoy beach towel" not in refused


@pytest.mark.django_db(transaction=True)
def test_a_paid_guest_order_shows_its_mpesa_receipt_and_nothing_to_pay(
    django_app, catalogue, daraja_simulator
):
    place_order_and_pay(django_app, to_payment_details(django_app, catalogue.kettle), SUCCESS)
    order = Order.objects.get()
    paid = wait_for_attempt(order.number, Status.SUCCEEDED)
    wait_until(lambda: Order.objects.get(pk=order.pk).status == "Paid", what="the order paid")

    _form_page, found = status_page(django_app.__class__(), order, "WANJIKU@example.co.ke")
    page = found.follow()

    assert page.html.select_one("[data-receipt]").text == paid.receipt_number
    assert page.html.select_one("[data-order-status]").text == "Paid"
    assert [td.text.strip() for td in page.html.select("[data-line-status]")] == ["Paid"]
    total = page.html.select_one("[data-order-total]").text
    assert total == "KSh\xa02,900"  # the kettle and Nairobi delivery
    assert page.html.select_one("[data-order-received]").text == total
    assert page.html.select_one("[data-order-balance]") is None
    assert page.html.select_one("#mpesa-pay-pending") is None
    assert "Write a review" not in page
    # The contact phone as Kenyans write it, as on the thank-you page.
    delivery = page.html.select_one("address").get_text(" ", strip=True)
    assert "0712 345 678" in delivery and "+254" not in delivery
    thank_you = django_app.get("/checkout/thank-you/")
    assert thank_you.html.select_one("[data-contact-phone]").text == "0712 345 678"
