"""The basket page and every checkout step run a fixed, small number of SQL queries,
whatever the number of lines in the basket.

Stock Oscar reads each line's product class and stock records one line at a time (four
queries a line on every page that prices the basket); the forked basket loads them with
the lines. Counted warm: the second visit of each page, as a shopper going back and forth.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.functional.storefront.conftest import add_product
from tests.functional.storefront.test_guest_checkout import (
    add_to_basket,
    fill_kenyan_address,
    form_with_field,
    give_guest_email,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

#: Session, basket, its lines with their products, stock records and images, vouchers,
#: offers, the shipping methods' basket check, the category menu.
BASKET_BUDGET = 12
#: The basket's queries (less the page's own line forms) plus the checkout session's reads,
#: and the basket check's own read of the lines' stock levels (apps/checkout/session.py):
#: whether the basket may be bought is decided on the stock as it is now.
CHECKOUT_STEP_BUDGET = 12
#: Adding a product (a POST, not a page): Oscar's add view reads the product and its
#: options, prices the basket (vouchers, offers, its lines with their stock records and
#: images), checks the quantity, writes the line, prices the basket again for its message
#: and counts the addition. Fixed, but Oscar's flow: the one count here over 15.
ADD_TO_BASKET_BUDGET = 28
#: Reading the order and its M-Pesa attempt by number.
WAITING_PAGE_BUDGET = 10
STATUS_JSON_BUDGET = 5

#: Numbers whose prompts the simulator keeps open on the virtual phone: one per order.
WAITING_PHONES = {2: "0799123401", 10: "0799123410"}


def warm_get(app, url: str) -> int:
    app.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = app.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def fill_basket(app, catalogue, lines: int) -> None:
    add_to_basket(app, catalogue.kettle)
    for number in range(lines - 1):
        product = add_product(f"Kikapu {lines}-{number}", catalogue.kitchen, "Household", "350", 9)
        add_to_basket(app, product)


def add_another_product(app, catalogue, lines: int) -> int:
    """Queries of adding one more product to a basket of ``lines`` lines (the POST only)."""
    product = add_product(f"Mwiko {lines}", catalogue.kitchen, "Household", "150", 9)
    form = app.get(product.get_absolute_url()).forms["add_to_basket_form"]
    with CaptureQueriesContext(connection) as queries:
        response = form.submit()
    assert response.status_code == 302, response.status_code
    count = len(queries)  # read before the next request clears the connection's log
    response.follow()
    return count


def queries_through_checkout(app, catalogue, lines: int) -> dict[str, int]:
    """Warm query counts of the basket, each checkout step, the waiting page and its JSON."""
    fill_basket(app, catalogue, lines - 1)
    added = add_another_product(app, catalogue, lines)
    counts = {"basket": warm_get(app, "/basket/")}
    counts["guest email"] = warm_get(app, "/checkout/")
    address_page = give_guest_email(app).follow()
    counts["shipping address"] = warm_get(app, "/checkout/shipping-address/")
    fill_kenyan_address(address_page)
    counts["shipping method"] = warm_get(app, "/checkout/shipping-method/")
    methods = app.get("/checkout/shipping-method/")
    form_with_field(methods, "method_code").submit()
    counts["payment details"] = warm_get(app, "/checkout/payment-details/")

    def preview():
        form = app.get("/checkout/payment-details/").forms["mpesa_phone_form"]
        form["phone"] = WAITING_PHONES[lines]
        return form

    preview().submit()
    form = preview()
    with CaptureQueriesContext(connection) as queries:
        page = form.submit()
    assert page.status_code == 200 and "place_order_form" in page.forms
    counts["preview"] = len(queries)

    waiting_url = page.forms["place_order_form"].submit()["Location"]
    counts["waiting page"] = warm_get(app, waiting_url)
    counts["status JSON"] = warm_get(app, waiting_url + "status/")
    return counts, added


def test_basket_and_checkout_queries_do_not_grow_with_basket_lines(
    django_app, catalogue, daraja_simulator
):
    with_one, added_to_one = queries_through_checkout(django_app, catalogue, lines=2)
    django_app.reset()  # a new shopper: the first one's session holds a placed order
    with_ten, added_to_ten = queries_through_checkout(django_app, catalogue, lines=10)

    assert with_ten == with_one
    assert added_to_ten == added_to_one <= ADD_TO_BASKET_BUDGET, (added_to_one, added_to_ten)
    assert with_ten["basket"] <= BASKET_BUDGET, with_ten
    for step in ("guest email", "shipping address", "shipping method", "payment details"):
        assert with_ten[step] <= CHECKOUT_STEP_BUDGET, (step, with_ten)
    assert with_ten["preview"] <= CHECKOUT_STEP_BUDGET, with_ten
    assert with_ten["waiting page"] <= WAITING_PAGE_BUDGET, with_ten
    assert with_ten["status JSON"] <= STATUS_JSON_BUDGET, with_ten
    # Every storefront page a shopper sees on the way stays under 15 queries.
    assert max(with_ten.values()) < 15, with_ten
