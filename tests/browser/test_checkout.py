"""A guest pays with M-Pesa in Chromium, against the Daraja simulator on the live server."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from oscar.core.loading import get_model
from playwright.sync_api import expect

from apps.payment.models import MpesaPaymentAttempt
from tests.browser.conftest import (
    CANCELLED_PHONE,
    SUCCESS_PHONE,
    check_out_as_guest,
    pay_with_mpesa,
    screenshot,
)

Order = get_model("order", "Order")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

THANK_YOU = re.compile(r".*/checkout/thank-you/$")


def test_a_guest_pays_with_mpesa_and_sees_the_receipt(browser_page, shop, daraja):
    page = browser_page
    check_out_as_guest(page, shop.kettle)
    phone = page.get_by_label("M-Pesa phone number")
    phone.fill("0712")
    expect(page.locator("#id_phone-feedback")).to_have_text("")
    phone.fill("07123")
    phone.blur()
    expect(page.locator("#id_phone-feedback")).to_contain_text("Enter a Kenyan mobile number")
    phone.fill(SUCCESS_PHONE)
    expect(page.locator("#id_phone-feedback")).to_have_text("M-Pesa will prompt 0708 374 149")

    pay_with_mpesa(page, SUCCESS_PHONE)

    page.wait_for_url(THANK_YOU)
    order = Order.objects.get()
    receipt = MpesaPaymentAttempt.objects.get(order_number=order.number).receipt_number
    assert receipt
    expect(page.locator("#mpesa-receipt-number")).to_have_text(receipt)
    expect(page.locator("h1")).to_contain_text(order.number)
    screenshot(page, "thank-you", full_page=True)


def test_a_cancelled_payment_says_why_and_the_prompt_can_be_sent_again(browser_page, shop, daraja):
    page = browser_page
    check_out_as_guest(page, shop.kettle)

    pay_with_mpesa(page, CANCELLED_PHONE)

    expect(page.locator("#mpesa-message")).to_have_text(
        "You cancelled the M-Pesa prompt. Send it again when you are ready to pay."
    )
    resend = page.locator("#mpesa-resend")
    expect(resend).to_be_visible()
    screenshot(page, "mpesa-waiting-page", full_page=True)
    resend.get_by_label("M-Pesa phone number").fill(SUCCESS_PHONE)
    resend.get_by_role("button", name="Send the prompt again").click()

    page.wait_for_url(THANK_YOU)
    order = Order.objects.get()
    assert order.status == "Paid"
    attempts = MpesaPaymentAttempt.objects.filter(order_number=order.number)
    assert attempts.count() == 2
    receipts = [attempt.receipt_number for attempt in attempts if attempt.receipt_number]
    assert len(receipts) == 1
    expect(page.locator("#mpesa-receipt-number")).to_have_text(receipts[0])


def test_staff_see_the_paid_order_with_its_mpesa_receipt_in_the_dashboard(
    browser_page, shop, daraja
):
    page = browser_page
    check_out_as_guest(page, shop.sufuria)
    pay_with_mpesa(page, SUCCESS_PHONE)
    page.wait_for_url(THANK_YOU)
    order = Order.objects.get()
    receipt = MpesaPaymentAttempt.objects.get(order_number=order.number).receipt_number

    page.context.clear_cookies()
    staff = get_model("auth", "User").objects.create_user(
        username="mama-mboga", email="staff@example.co.ke", password="sokoni-2024", is_staff=True
    )
    # Oscar's order pages ask for the order permissions as well as staff status, the
    # M-Pesa log for its own (the "Payments staff" group holds both).
    staff.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="order", codename__in=["view_order", "change_order"]
        )
    )
    staff.groups.add(Group.objects.get(name="Payments staff"))
    page.goto("/accounts/login/")
    login = page.locator("#login_form")
    login.get_by_label("Email address").fill(staff.email)
    login.get_by_label("Password").fill("sokoni-2024")
    login.get_by_role("button", name="Log In").click()
    page.goto(f"/dashboard/orders/{order.number}/")

    expect(page.locator("body")).to_contain_text("Paid")
    attempts = page.locator("#mpesa-attempts + table")
    expect(attempts).to_contain_text(receipt)
    expect(attempts).to_contain_text("Paid")
    page.goto("/dashboard/mpesa/")
    expect(page.locator("body")).to_contain_text(receipt)
    screenshot(page, "dashboard-mpesa", full_page=True)


def test_after_placing_the_order_checkout_and_every_page_lead_to_its_payment_page(
    browser_page, shop, daraja
):
    """With the prompt still open, opening the checkout again (a second tab, a bookmark)
    lands on the order's payment page, not on an empty basket, and the home page's
    header offers "Pay now". (Back and the order form sent again: tested in
    tests/functional/checkout/test_unpaid_order.py; Chromium asks before sending a form
    again.)"""
    page = browser_page
    check_out_as_guest(page, shop.kettle)
    pay_with_mpesa(page, "0712 345 678")  # the prompt waits on the virtual phone
    waiting_url = page.url
    order = Order.objects.get()

    page.goto("/checkout/")

    page.wait_for_url(waiting_url)
    expect(page.locator("body")).to_contain_text(f"Order {order.number} is waiting for payment")
    expect(page.locator("body")).not_to_contain_text("add some items")
    assert Order.objects.count() == 1
    assert MpesaPaymentAttempt.objects.count() == 1

    page.goto("/")
    banner = page.locator(".shop-unpaid-order")
    expect(banner).to_contain_text(f"Order {order.number} is waiting for payment")
    banner.get_by_role("link", name="Pay now").click()
    page.wait_for_url(waiting_url)
