"""Two shoppers race for the last kettle: the one whose order is placed first gets it; the
other, whose "Place order and pay" had already passed the basket check, is told the kettle
is out of stock, and no prompt goes to their phone and no order is placed."""

import pytest
from django_webtest import DjangoTestApp
from oscar.apps.checkout.signals import pre_payment
from oscar.core.loading import get_model

from apps.payment.models import MpesaPaymentAttempt

from .conftest import Order, to_payment_details, wait_for_attempt, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

Basket = get_model("basket", "Basket")
StockRecord = get_model("partner", "StockRecord")


def preview(app, payment_page, phone: str):
    form = payment_page.forms["mpesa_phone_form"]
    form["phone"] = phone
    page = form.submit()
    assert page.status_code == 200 and "place_order_form" in page.forms, page.text[:500]
    return page.forms["place_order_form"]


def test_the_second_shopper_for_the_last_item_is_told_it_is_gone_and_gets_no_prompt(
    django_app, catalogue, daraja_simulator
):
    StockRecord.objects.filter(product=catalogue.kettle).update(num_in_stock=1, num_allocated=0)
    first, second = DjangoTestApp(), django_app
    first_order = preview(first, to_payment_details(first, catalogue.kettle), "0708374149")
    second_order = preview(second, to_payment_details(second, catalogue.kettle), "0722000000")
    second_basket_id = Basket.objects.order_by("-id").values_list("id", flat=True).first()

    # The first shopper's order is placed while the second one's request is under way:
    # after its basket check, before its prompt.
    raced = []

    def first_shopper_wins(sender, view, **kwargs):
        if view.request.basket.id != second_basket_id or raced:
            return
        raced.append(None)
        raced[0] = first_order.submit()

    pre_payment.connect(first_shopper_wins)
    try:
        response = second_order.submit()
    finally:
        pre_payment.disconnect(first_shopper_wins)

    [won] = raced
    assert won.status_code == 302 and "/checkout/pay/" in won["Location"]
    assert response.status_code == 200
    assert "Electric kettle 1.7 litres" in response.text
    assert "Electric kettle 1.7 litres is out of stock." in response.text

    order = Order.objects.get()  # the first shopper's, and only that one
    wait_for_attempt(order.number, MpesaPaymentAttempt.Status.SUCCEEDED)
    wait_until(lambda: Order.objects.get().status == "Paid", what="the first order paid")
    assert MpesaPaymentAttempt.objects.count() == 1
    assert StockRecord.objects.get(product=catalogue.kettle).num_allocated == 1
    # The second shopper's basket is theirs again (not frozen), the kettle still in it.
    basket_page = second.get("/basket/")
    assert "Electric kettle 1.7 litres" in basket_page.text
