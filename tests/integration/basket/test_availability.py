"""The basket's availability is decided on the stock as it is now, not as it was when the
basket's lines were loaded (with their stock records, in one query, for the prices).

Oscar's own scenario (``test_check_basket_is_valid_no_stock_available``): a basket whose
lines were read, then the last items allocated to someone else's order, then the checkout
asks whether the basket may still be bought, on the same request.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_class, get_model
from oscar.test.factories import create_basket, create_product

CheckoutSessionMixin = get_class("checkout.session", "CheckoutSessionMixin")
FailedPreCondition = get_class("checkout.exceptions", "FailedPreCondition")
Selector = get_class("partner.strategy", "Selector")
StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db


def request_with_basket(*products_in_stock: int):
    """A request whose basket holds one of each product, lines loaded as a page loads them."""
    request = RequestFactory().get("/")
    request.strategy = Selector().strategy()
    request.basket = create_basket(empty=True)
    request.basket.strategy = request.strategy
    for number, in_stock in enumerate(products_in_stock):
        product = create_product(
            title=f"Sufuria {number}", price=Decimal("950"), num_in_stock=in_stock
        )
        request.basket.add_product(product)
    assert len(request.basket.all_lines()) == len(products_in_stock)
    return request


def someone_else_buys(product, quantity: int) -> None:
    """Another shopper's order allocates stock, through its own stock record object."""
    record = StockRecord.objects.get(product=product)
    record.allocate(quantity)
    record.save()


def test_stock_allocated_after_the_lines_were_loaded_makes_the_basket_invalid():
    request = request_with_basket(10)
    CheckoutSessionMixin().check_basket_is_valid(request)
    product = request.basket.all_lines()[0].product

    someone_else_buys(product, 10)

    with pytest.raises(FailedPreCondition) as refused:
        CheckoutSessionMixin().check_basket_is_valid(request)
    assert refused.value.messages[0].startswith(f"{product.get_title()} is out of stock.")


def test_stock_received_after_the_lines_were_loaded_makes_the_basket_valid_again():
    request = request_with_basket(1)
    product = request.basket.all_lines()[0].product
    someone_else_buys(product, 1)
    with pytest.raises(FailedPreCondition):
        CheckoutSessionMixin().check_basket_is_valid(request)

    StockRecord.objects.filter(product=product).update(num_in_stock=5)

    CheckoutSessionMixin().check_basket_is_valid(request)


def test_reading_the_stock_again_is_one_query_whatever_the_basket_holds():
    for lines in (1, 6):
        request = request_with_basket(*[3] * lines)
        with CaptureQueriesContext(connection) as queries:
            request.basket.reload_stock()
        assert len(queries) == 1, (lines, [q["sql"] for q in queries])
