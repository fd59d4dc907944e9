"""A customer who left the waiting page can still pay from the order's status page."""

import pytest
from oscar.test.factories import ShippingAddressFactory, UserFactory

from apps.payment.mpesa.waiting import waiting_page_url
from tests.integration.order.conftest import money_record

pytestmark = pytest.mark.django_db


def guest_order_page(app, order):
    """Oscar asks a guest for the order's email before showing its status page."""
    url = f"/accounts/order-status/{order.number}/{order.verification_hash()}/"
    form_page = app.get(url).follow()
    form = next(f for f in form_page.forms.values() if "email" in f.fields)
    form["email"] = order.guest_email
    return form.submit().follow()


def test_a_guest_order_page_shows_how_to_pay_while_the_order_is_unpaid(
    django_app, pending_order, settings
):
    settings.MPESA_C2B_ENABLED = True

    page = guest_order_page(django_app, pending_order)

    box = page.html.select_one("#mpesa-pay-pending")
    assert box is not None
    assert box.select_one(f'a[href="{waiting_page_url(pending_order.number)}"]')
    assert "Account number" in box.text and pending_order.number in box.text
    assert "KSh\xa01,250" in box.text


def test_no_paybill_details_until_paybill_is_enabled(django_app, pending_order, settings):
    settings.MPESA_C2B_ENABLED = False
    box = guest_order_page(django_app, pending_order).html.select_one("#mpesa-pay-pending")
    assert box is not None and "Account number" not in box.text


def test_a_paid_order_shows_no_payment_box(django_app, pending_order):
    user = UserFactory()
    pending_order.user = user
    pending_order.save()
    money_record(pending_order)  # Paid only with its money recorded
    pending_order.set_status("Paid")
    page = django_app.get(f"/accounts/orders/{pending_order.number}/", user=user)
    assert page.status_code == 200
    assert page.html.select_one("#mpesa-pay-pending") is None


def test_a_signed_in_order_page_shows_the_contact_phone_as_kenyans_write_it(
    django_app, pending_order
):
    user = UserFactory()
    pending_order.user = user
    pending_order.shipping_address = ShippingAddressFactory(phone_number="+254712345678")
    pending_order.save()

    page = django_app.get(f"/accounts/orders/{pending_order.number}/", user=user)

    assert page.html.select_one("[data-contact-phone]").text == "0712 345 678"
    assert page.html.select_one("#mpesa-pay-pending") is not None  # still unpaid
    assert page.html.select_one("[data-order-total]") is not None  # the shop's total row
