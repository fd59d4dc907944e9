from decimal import Decimal

import pytest
from django.test import override_settings
from oscar.apps.partner.strategy import Default
from oscar.core.loading import get_class, get_model
from oscar.test import factories

from apps.shipping.methods import (
    CollectInStore,
    CountrywideCourier,
    FreeDelivery,
    NairobiDelivery,
    VatInclusiveCharge,
)

Repository = get_class("shipping.repository", "Repository")
NoShippingRequired = get_class("shipping.methods", "NoShippingRequired")
ProductClass = get_model("catalogue", "ProductClass")
ShippingAddress = get_model("order", "ShippingAddress")

pytestmark = pytest.mark.django_db


def basket_with(price: str, *, digital: bool = False, quantity: int = 1):
    if digital:
        ProductClass.objects.get_or_create(
            name="Digital", defaults={"requires_shipping": False, "track_stock": False}
        )
    product = factories.create_product(
        title="Thing",
        product_class="Digital" if digital else "Household",
        price=Decimal(price),
        num_in_stock=100,
    )
    basket = factories.create_basket(empty=True)
    basket.strategy = Default()
    basket.add_product(product, quantity)
    return basket


def codes(methods) -> list[str]:
    return [method.code for method in methods]


def test_forked_repository_is_the_one_oscar_loads():
    from apps.shipping.repository import Repository as ShopRepository

    assert Repository is ShopRepository


@pytest.mark.parametrize("county", ["Nairobi", "nairobi ", "Nairobi City County"])
def test_nairobi_address_is_offered_nairobi_delivery_first(county):
    methods = Repository().get_shipping_methods(
        basket_with("1200"), shipping_addr=ShippingAddress(state=county)
    )
    assert codes(methods) == ["nairobi-delivery", "countrywide-courier", "collect-in-store"]


@pytest.mark.parametrize("county", ["Mombasa", "Kiambu", "Kisumu", ""])
def test_addresses_outside_nairobi_get_no_nairobi_delivery(county):
    methods = Repository().get_shipping_methods(
        basket_with("1200"), shipping_addr=ShippingAddress(state=county)
    )
    assert codes(methods) == ["countrywide-courier", "collect-in-store"]


def test_basket_page_without_address_defaults_to_the_courier():
    default = Repository().get_default_shipping_method(basket_with("1200"))
    assert default.code == "countrywide-courier"


@override_settings(SHOP_FREE_DELIVERY_THRESHOLD=5000)
def test_baskets_from_the_threshold_up_get_free_delivery_and_no_paid_options():
    at_threshold = basket_with("2500", quantity=2)
    methods = Repository().get_shipping_methods(
        at_threshold, shipping_addr=ShippingAddress(state="Nairobi")
    )
    assert codes(methods) == ["free-delivery", "collect-in-store"]
    assert methods[0].calculate(at_threshold).incl_tax == Decimal("0.00")


@override_settings(SHOP_FREE_DELIVERY_THRESHOLD=5000)
def test_baskets_just_below_the_threshold_pay_for_delivery():
    methods = Repository().get_shipping_methods(
        basket_with("4999"), shipping_addr=ShippingAddress(state="Nairobi")
    )
    assert "free-delivery" not in codes(methods)
    assert methods[0].calculate(basket_with("4999")).incl_tax == Decimal("250")


@override_settings(SHOP_FREE_DELIVERY_THRESHOLD=20000)
def test_threshold_comes_from_settings():
    methods = Repository().get_shipping_methods(basket_with("6000"))
    assert "free-delivery" not in codes(methods)


def test_digital_only_basket_gets_no_shipping_required():
    methods = Repository().get_shipping_methods(
        basket_with("1000", digital=True), shipping_addr=None
    )
    assert len(methods) == 1
    assert isinstance(methods[0], NoShippingRequired)


@pytest.mark.parametrize(
    ("method", "incl_tax"),
    [(NairobiDelivery(), "250"), (CountrywideCourier(), "450")],
)
def test_paid_charges_are_whole_shillings_with_16_percent_vat_included(method, incl_tax):
    charge = method.calculate(basket_with("100"))
    assert charge.currency == "KES"
    assert charge.is_tax_known
    assert charge.incl_tax == Decimal(incl_tax)
    assert charge.incl_tax == charge.incl_tax.to_integral_value()
    assert abs(charge.excl_tax * Decimal("1.16") - charge.incl_tax) < Decimal("0.01")
    assert charge.tax == charge.incl_tax - charge.excl_tax


@pytest.mark.parametrize("method", [FreeDelivery(), CollectInStore()])
def test_free_methods_know_their_tax(method):
    charge = method.calculate(basket_with("100"))
    assert charge.is_tax_known
    assert charge.excl_tax == charge.incl_tax == Decimal("0.00")


def test_every_method_has_a_unique_code():
    classes = [NairobiDelivery, CountrywideCourier, FreeDelivery, CollectInStore]
    assert len({cls.code for cls in classes}) == len(classes)
    assert all(issubclass(cls, VatInclusiveCharge) for cls in classes[:2])
