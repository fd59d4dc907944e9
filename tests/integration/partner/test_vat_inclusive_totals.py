"""Products and shipping carry VAT the same way: a kettle at KSh 2,900 delivered in
Nairobi for KSh 250 is an order of KSh 3,150, VAT included, on the basket, the order,
the M-Pesa amount, and on the order pages customers and staff read."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from oscar.apps.partner.strategy import Default as OscarDefault
from oscar.core.loading import get_class
from oscar.test.factories import create_basket, create_order, create_product

from apps.payment.mpesa.services import mpesa_amount
from apps.shipping.methods import NairobiDelivery

OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
Selector = get_class("partner.strategy", "Selector")

pytestmark = pytest.mark.django_db

KSH = "KSh\xa0"


@pytest.fixture
def customer(db):
    return get_user_model().objects.create_user(
        username="wanjiku", email="wanjiku@duka.example", password="pw"
    )


@pytest.fixture
def basket(db):
    kettle = create_product(title="Electric kettle", price=Decimal("2900"), num_in_stock=10)
    basket = create_basket(empty=True)
    basket.strategy = Selector().strategy()
    basket.add_product(kettle)
    return basket


@pytest.fixture
def order(basket, customer):
    return create_order(
        number="100900", basket=basket, user=customer, shipping_method=NairobiDelivery()
    )


def test_the_basket_total_includes_the_vat_of_products_and_shipping(basket):
    shipping = NairobiDelivery().calculate(basket)

    total = OrderTotalCalculator().calculate(basket, shipping)

    assert (basket.total_incl_tax, basket.total_excl_tax) == (Decimal("2900"), Decimal("2500"))
    assert (shipping.incl_tax, shipping.excl_tax) == (Decimal("250"), Decimal("215.52"))
    assert total.incl_tax == Decimal("3150")
    assert (total.excl_tax, total.tax) == (Decimal("2715.52"), Decimal("434.48"))


def test_the_order_keeps_the_total_the_phone_is_asked_for(order):
    assert order.total_incl_tax == Decimal("3150")
    assert order.total_excl_tax + order.total_tax == order.total_incl_tax
    assert order.total_tax == Decimal("434.48")
    assert order.shipping_tax == Decimal("34.48")
    [line] = order.lines.all()
    assert (line.line_price_incl_tax, line.line_price_excl_tax) == (
        Decimal("2900"),
        Decimal("2500"),
    )
    assert mpesa_amount(order.total_incl_tax) == 3150


def test_the_dashboard_order_page_shows_the_total_and_its_vat(client, order):
    staff = get_user_model().objects.create_user(
        username="boss", email="boss@duka.example", password="pw", is_staff=True, is_superuser=True
    )
    client.force_login(staff)

    page = client.get(reverse("dashboard:order-detail", kwargs={"number": order.number}))

    html = page.content.decode()
    total = html[html.index('id="order-total"') :][:300]
    assert f"{KSH}3,150" in total and f"of which VAT {KSH}434.48" in total
    assert "Order total (incl. VAT)" in html
    vat_row = html[html.index('id="order-vat"') :][:400]
    assert f"{KSH}434.48" in vat_row
    # The first amount column is VAT included: 3,150 comes before 2,715.52.
    assert html.index(f"{KSH}3,150") < html.index(f"{KSH}2,715.52")


def test_the_customer_order_page_shows_the_total_and_its_vat(client, customer, order):
    client.force_login(customer)

    page = client.get(reverse("customer:order", kwargs={"order_number": order.number}))

    html = page.content.decode()
    assert "Order total incl. VAT" in html
    assert f"data-order-total>{KSH}3,150<" in html
    assert f"data-order-vat>{KSH}434.48<" in html


def test_the_guest_order_page_shows_the_total_and_its_vat(client, basket):
    order = create_order(
        number="100902",
        basket=basket,
        guest_email="guest@duka.example",
        shipping_method=NairobiDelivery(),
    )
    url = reverse(
        "customer:anon-order",
        kwargs={"order_number": order.number, "hash": order.verification_hash()},
    )

    # Oscar shows a guest's order once the guest has given the order's email.
    session = client.session
    session["anon_order_email"] = "guest@duka.example"
    session.save()

    html = client.get(url).content.decode()

    assert f"Order total {KSH}3,150 incl. VAT" in html
    assert f"<span data-order-vat>{KSH}434.48</span>" in html


def test_an_order_placed_before_vat_keeps_its_stored_totals(client, customer, basket):
    """An order placed when products carried no tax (Oscar's default strategy) reads as
    it was stored: the same KSh 3,150, of which VAT only the delivery's."""
    basket.strategy = OscarDefault()
    old = create_order(
        number="100901", basket=basket, user=customer, shipping_method=NairobiDelivery()
    )
    client.force_login(customer)

    html = client.get(reverse("customer:order", kwargs={"order_number": old.number})).content
    html = html.decode()

    assert old.total_incl_tax == Decimal("3150") and old.total_tax == Decimal("34.48")
    assert f"data-order-total>{KSH}3,150<" in html
    assert f"data-order-vat>{KSH}34.48<" in html
