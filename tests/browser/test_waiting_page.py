"""The waiting page tells the truth at a glance in Chromium: a countdown while the prompt is
open, failure and success in their alert styles inside a live region, and the tab title
following the state; then the guest's order-status page. Each state passes axe-core."""

import re

import pytest
from django.test import Client
from oscar.core.loading import get_model
from playwright.sync_api import expect

from apps.payment.models import MpesaAttemptStatus as Status
from apps.payment.models import MpesaPaymentAttempt
from tests.browser.axe import assert_accessible
from tests.browser.conftest import SUCCESS_PHONE, check_out_as_guest, pay_with_mpesa, screenshot

Order = get_model("order", "Order")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OPEN_PHONE = "0712 345 678"  # the simulator's prompt waits on the virtual phone


def test_the_waiting_page_counts_down_then_shows_failure_and_success_as_such(
    browser_page, shop, daraja
):
    page = browser_page
    check_out_as_guest(page, shop.kettle)
    pay_with_mpesa(page, OPEN_PHONE)
    order = Order.objects.get()
    state = page.locator("#mpesa-state")
    seconds = page.locator("#mpesa-countdown [data-seconds-left]")

    # Waiting for the PIN: the seconds the prompt has left run down.
    expect(state).to_have_attribute("aria-live", "polite")
    expect(state).to_have_class(re.compile(r"\balert-info\b"))
    expect(page.locator("#mpesa-headline")).to_have_text("Enter your M-Pesa PIN on your phone")
    expect(page).to_have_title(re.compile(r"^Waiting for your PIN \| Order "))
    first = int(seconds.inner_text())
    assert 80 <= first <= 90
    expect(seconds).not_to_have_text(str(first))
    assert int(seconds.inner_text()) < first
    expect(page.locator("#cancel-order")).to_be_disabled()
    assert_accessible(page, "waiting page, prompt open")
    screenshot(page, "mpesa-waiting-prompt-open", full_page=True)

    # From here the page is seen as a holder of the order's link, in another browser: it
    # stays on the payment page once paid (the placing browser moves to the thank-you page).
    page.context.clear_cookies()
    page.reload()
    attempt = MpesaPaymentAttempt.objects.get(order_number=order.number)
    Client().post(f"/daraja-sim/phone/{attempt.checkout_request_id}/", {"decline": "1"})

    expect(state).to_have_class(re.compile(r"\balert-danger\b"))
    expect(page.locator("#mpesa-headline")).to_have_text("The payment did not go through")
    expect(page.locator("#mpesa-message")).to_have_text(
        "You cancelled the M-Pesa prompt. Send it again when you are ready to pay."
    )
    expect(page).to_have_title(re.compile(r"^Payment failed \| Order "))
    expect(page.locator("#mpesa-countdown")).to_be_hidden()
    expect(page.locator("#cancel-order")).to_be_enabled()
    assert_accessible(page, "waiting page, prompt declined")
    screenshot(page, "mpesa-waiting-declined", full_page=True)

    page.locator("#resend-phone").fill(SUCCESS_PHONE)
    page.get_by_role("button", name="Send the prompt again").click()

    expect(state).to_have_class(re.compile(r"\balert-success\b"))
    expect(state.locator("#mpesa-headline")).to_have_text("Payment received")
    expect(page).to_have_title(re.compile(r"^Payment received \| Order "))
    receipt = MpesaPaymentAttempt.objects.get(order_number=order.number, status=Status.SUCCEEDED)
    expect(page.locator("#mpesa-receipt [data-receipt]")).to_have_text(receipt.receipt_number)
    expect(page.locator("#mpesa-actions")).to_be_hidden()
    assert_accessible(page, "waiting page, paid")
    screenshot(page, "mpesa-waiting-paid", full_page=True)

    # The order email's link: the guest's order-status page, the email in other capitals.
    page.goto(f"/accounts/order-status/{order.number}/{order.verification_hash()}/")
    assert_accessible(page, "order-status email form")
    page.get_by_label("Email address").fill("Wanjiku@Example.co.ke")
    page.get_by_role("button", name="Show my order").click()
    expect(page.locator("h1")).to_have_text(f"Order {order.number}")
    expect(page.locator("#order-receipts")).to_contain_text(receipt.receipt_number)
    assert_accessible(page, "guest order status")
    screenshot(page, "guest-order-status", full_page=True)
