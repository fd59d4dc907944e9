"""The free-delivery nudge uses the repository's own rule: the basket's total with VAT,
after discounts, against SHOP_FREE_DELIVERY_THRESHOLD."""

from decimal import Decimal

import pytest
from django.test import override_settings

from apps.shipping.repository import Repository, free_delivery_nudge
from tests.unit.shipping.test_repository import basket_with

pytestmark = pytest.mark.django_db


@override_settings(SHOP_FREE_DELIVERY_THRESHOLD=5000)
def test_below_the_threshold_the_nudge_says_what_is_left():
    nudge = free_delivery_nudge(basket_with("1250", quantity=2))

    assert nudge.threshold == Decimal("5000")
    assert nudge.remaining == Decimal("2500")
    assert not nudge.qualifies
    assert nudge.progress_percent == 50


@override_settings(SHOP_FREE_DELIVERY_THRESHOLD=5000)
@pytest.mark.parametrize("price", ["5000", "7200"])
def test_at_or_above_it_the_basket_qualifies_as_the_repository_says(price):
    basket = basket_with(price)
    nudge = free_delivery_nudge(basket)

    assert nudge.qualifies and nudge.remaining == 0 and nudge.progress_percent == 100
    methods = Repository().get_available_shipping_methods(basket)
    assert methods[0].code == "free-delivery"


def test_nothing_to_deliver_or_an_empty_basket_gets_no_nudge():
    assert free_delivery_nudge(basket_with("900", digital=True)) is None
    basket = basket_with("900")
    basket.flush()
    assert free_delivery_nudge(basket) is None
