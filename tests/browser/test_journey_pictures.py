"""The shopper's journey at a laptop's 1366 px and a phone's 360 px: home, a product, the
basket, the payment step with its order summary and the waiting page, each without
sideways scrolling. The pictures it leaves (test-artifacts/screenshots/journey-*.png) are
the README's."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_out_as_guest, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"1366": {"width": 1366, "height": 800}, "360": {"width": 360, "height": 740}}
OPEN_PHONE = "0712 345 678"  # the simulator's prompt waits on the virtual phone


@pytest.mark.parametrize("width", SIZES)
def test_the_journey_fits_the_screen_at_each_width(browser_page, shop, daraja, width):
    page = browser_page
    page.set_viewport_size(SIZES[width])

    def picture(name: str) -> None:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= SIZES[width]["width"], (page.url, scroll_width)
        screenshot(page, f"journey-{name}-{width}")

    page.goto("/")
    picture("home")
    page.goto(shop.kettle.get_absolute_url())
    picture("product")
    check_out_as_guest(page, shop.kettle)
    picture("payment")
    page.goto("/basket/")
    expect(page.locator("[data-free-delivery]")).to_be_visible()
    picture("basket")
    page.goto("/checkout/payment-details/")
    page.get_by_label("M-Pesa phone number").fill(OPEN_PHONE)
    page.locator("#mpesa_phone_form button[type=submit]").click()
    page.wait_for_url("**/checkout/preview/")
    page.locator("#place-order").click()
    page.wait_for_url("**/checkout/pay/**")
    expect(page.locator("#mpesa-countdown")).to_be_visible()
    picture("waiting")
