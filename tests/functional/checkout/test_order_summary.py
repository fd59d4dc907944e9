"""The order summary beside each checkout step and the free-delivery nudge: what the
shopper is buying and what it costs so far on every step (delivery once chosen), how far
the basket is from free delivery on the basket page and in the summary, and, on the
preview, "Place order and pay" in the summary (at the top of a phone's screen)."""

import pytest

from tests.functional.checkout.conftest import place_order_and_pay, to_payment_details
from tests.functional.storefront.test_guest_checkout import (
    add_to_basket,
    fill_kenyan_address,
    give_guest_email,
)

pytestmark = pytest.mark.django_db

KSH = "KSh\xa0"


def summary_of(page):
    aside = page.html.select_one("[data-order-summary]")
    assert aside is not None, "no order summary on " + page.request.path
    return aside


def figure(aside, name: str) -> str:
    return aside.select_one(f"[data-summary-{name}]").get_text(" ", strip=True)


def test_every_step_before_placing_shows_the_order_and_its_cost_so_far(django_app, catalogue):
    add_to_basket(django_app, catalogue.kettle)  # KSh 2,650, delivered

    gateway = django_app.get("/checkout/")
    aside = summary_of(gateway)
    assert "1 × Electric kettle 1.7 litres" in aside.get_text(" ", strip=True)
    assert figure(aside, "items") == f"{KSH}2,650"
    assert figure(aside, "delivery") == "chosen at the next steps"
    assert figure(aside, "total") == f"{KSH}2,650"
    assert "Total so far" in aside.get_text()

    address = give_guest_email(django_app).maybe_follow()
    assert address.request.path == "/checkout/shipping-address/"
    assert figure(summary_of(address), "delivery") == "chosen at the next steps"
    methods = fill_kenyan_address(address).maybe_follow()
    assert methods.request.path == "/checkout/shipping-method/"
    summary_of(methods)
    form = next(
        f
        for f in methods.forms.values()
        if f.fields.get("method_code", [None])[0] and f["method_code"].value == "nairobi-delivery"
    )
    payment = form.submit().maybe_follow()
    assert payment.request.path == "/checkout/payment-details/"

    # The payment step's breakdown: items, the delivery chosen, the total the prompt asks.
    aside = summary_of(payment)
    text = aside.get_text(" ", strip=True)
    assert "Nairobi delivery" in text
    assert figure(aside, "delivery") == f"{KSH}250"
    assert figure(aside, "total") == f"{KSH}2,900"
    assert "Total incl. VAT" in text
    assert payment.html.select_one("#mpesa-amount").get_text(strip=True) == f"{KSH}2,900"


def test_the_preview_puts_place_order_in_the_summary_and_it_names_the_order_form(
    django_app, catalogue
):
    payment = to_payment_details(django_app, catalogue.kettle)
    form = payment.forms["mpesa_phone_form"]
    form["phone"] = "0708 374 149"
    preview = form.submit()

    button = summary_of(preview).select_one("#place-order-summary")
    assert button.get_text(strip=True) == "Place order and pay"
    assert button["type"] == "submit" and button["form"] == "place_order_form"
    assert preview.html.select_one("form#place_order_form") is not None


def test_no_summary_once_the_order_is_placed(django_app, catalogue, daraja_simulator):
    payment = to_payment_details(django_app, catalogue.kettle)
    # A number the simulator leaves to its virtual phone: the prompt stays open.
    waiting = place_order_and_pay(django_app, payment, phone="0712 345 678").maybe_follow()

    assert "/checkout/pay/" in waiting.request.path
    assert waiting.html.select_one("[data-order-summary]") is None


def test_the_basket_says_how_much_more_gives_free_delivery(django_app, catalogue, settings):
    settings.SHOP_FREE_DELIVERY_THRESHOLD = 5000
    basket = add_to_basket(django_app, catalogue.kettle)  # KSh 2,650
    basket = django_app.get("/basket/")
    nudge = basket.html.select_one("[data-free-delivery]").get_text(" ", strip=True)
    assert f"Add {KSH}2,350 more for free delivery" in nudge
    assert f"orders from {KSH}5,000" in nudge

    add_to_basket(django_app, catalogue.sufuria)  # + KSh 3,950 = 6,600
    basket = django_app.get("/basket/")
    nudge = basket.html.select_one("[data-free-delivery]").get_text(" ", strip=True)
    assert "Your order gets free delivery anywhere in Kenya" in nudge
    # And the basket's own delivery line is the free one.
    assert "Free delivery" in basket.html.select_one("#basket_totals").get_text(" ", strip=True)


def test_the_summary_nudges_too_and_nothing_to_deliver_gets_no_nudge(django_app, catalogue):
    add_to_basket(django_app, catalogue.kettle)
    nudge = summary_of(django_app.get("/checkout/")).select_one("[data-free-delivery]")
    assert f"Add {KSH}2,350 more" in nudge.get_text(" ", strip=True)

    django_app.reset()  # a new shopper with only a digital voucher: no delivery at all
    add_to_basket(django_app, catalogue.voucher)
    assert django_app.get("/basket/").html.select_one("[data-free-delivery]") is None
    aside = summary_of(django_app.get("/checkout/"))
    assert aside.select_one("[data-free-delivery]") is None
    assert aside.select_one("[data-summary-delivery]") is None
