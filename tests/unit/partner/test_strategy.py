"""The shop's pricing strategy reads a stock record's price as VAT-inclusive: what the
shopper pays, with the part before VAT and the VAT worked out from it."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from oscar.core.loading import get_class, get_model

from apps.partner import strategy as shop_strategy
from apps.shipping.methods import CountrywideCourier, NairobiDelivery

Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")
KES_BASKET = SimpleNamespace(currency="KES")


def price_of(amount: str):
    record = StockRecord(price=Decimal(amount), price_currency="KES", num_in_stock=5)
    return shop_strategy.Default().pricing_policy(Product(), record)


def test_oscar_loads_the_shops_strategy():
    selector = get_class("partner.strategy", "Selector")()

    assert isinstance(selector.strategy(), shop_strategy.Default)


@pytest.mark.parametrize(
    ("price", "excl_vat", "vat"),
    [
        ("2900", "2500.00", "400.00"),
        ("250", "215.52", "34.48"),  # to the cent; the VAT is the rest
        ("1", "0.86", "0.14"),
        ("1999.99", "1724.13", "275.86"),
    ],
)
def test_a_stock_record_price_includes_vat(price, excl_vat, vat):
    shown = price_of(price)

    assert shown.is_tax_known
    assert shown.incl_tax == Decimal(price)
    assert (shown.excl_tax, shown.tax) == (Decimal(excl_vat), Decimal(vat))
    assert shown.excl_tax + shown.tax == shown.incl_tax


def test_offers_discount_the_price_the_shopper_sees():
    assert price_of("2900").effective_price == Decimal("2900")


def test_a_shop_not_registered_for_vat_charges_no_tax(settings):
    settings.SHOP_VAT_RATE = Decimal("0")

    shown = price_of("2900")

    assert (shown.incl_tax, shown.excl_tax, shown.tax) == (Decimal("2900"),) * 2 + (Decimal(0),)
    assert NairobiDelivery().calculate(KES_BASKET).tax == Decimal("0")


def test_products_and_shipping_follow_the_one_rate(settings):
    settings.SHOP_VAT_RATE = Decimal("0.08")

    assert price_of("1080").excl_tax == Decimal("1000.00")
    assert CountrywideCourier().calculate(KES_BASKET).excl_tax == Decimal("416.67")


def test_a_parent_shows_its_first_childs_price():
    records = [StockRecord(price=Decimal("1160"), price_currency="KES")]

    shown = shop_strategy.Default().parent_pricing_policy(Product(), [(Product(), records[0])])

    assert (shown.incl_tax, shown.tax) == (Decimal("1160"), Decimal("160.00"))


def test_no_stock_record_no_price():
    assert not shop_strategy.Default().pricing_policy(Product(), None).exists
