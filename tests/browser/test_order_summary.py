"""The order summary beside each checkout step, in Chromium: beside the step on a laptop,
folded above it on a 360 px phone (the total, the free-delivery nudge and, on the preview,
"Place order and pay" in the first screen; the lines open with "Show details")."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_out_as_guest, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1366, "height": 768}


def test_on_a_laptop_the_summary_stands_beside_the_step(browser_page, shop):
    page = browser_page
    page.set_viewport_size(LAPTOP)
    check_out_as_guest(page, shop.kettle)

    summary = page.locator("[data-order-summary]")
    details = page.locator("[data-order-summary-details]")
    expect(details).to_be_visible()
    expect(page.locator(".shop-order-summary__toggle")).to_be_hidden()
    form = page.locator("#mpesa_phone_form").bounding_box()
    aside = summary.bounding_box()
    assert aside["x"] > form["x"] + form["width"] - 1, "the summary is beside the form"
    expect(summary).to_contain_text("Nairobi delivery")
    screenshot(page, "checkout-summary-1366", full_page=True)


def test_on_a_phone_it_folds_above_the_step_and_place_order_is_in_the_first_screen(
    browser_page, shop, daraja
):
    page = browser_page
    page.set_viewport_size(PHONE)
    check_out_as_guest(page, shop.kettle)

    details = page.locator("[data-order-summary-details]")
    toggle = page.locator(".shop-order-summary__toggle")
    expect(details).to_be_hidden()
    expect(page.locator("[data-summary-total]")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(details).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(details).to_contain_text(shop.kettle.title)

    page.get_by_label("M-Pesa phone number").fill("0708 374 149")
    page.locator("#mpesa_phone_form button[type=submit]").click()
    page.wait_for_url("**/checkout/preview/")
    button = page.locator("#place-order-summary")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], f"below the first screen: {box}"
    screenshot(page, "checkout-preview-360")

    button.click()  # outside the form, it sends the form it names
    page.wait_for_url(re.compile(r".*/checkout/(pay/.+|thank-you/)$"))
