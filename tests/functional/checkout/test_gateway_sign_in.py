"""The checkout's "returning customer" sign-in is counted and locked out like the login
page's (apps/checkout/views.py IndexView gives Oscar's gateway form the request)."""

import pytest

from tests.functional.customer.conftest import PASSWORD, from_address, locked_out, make_user
from tests.functional.storefront.test_guest_checkout import add_to_basket, form_with_field

pytestmark = pytest.mark.django_db

SHOPPER = from_address("41.90.64.10")


@pytest.fixture
def wanjiru(db):
    return make_user("wanjiru")


def gateway_sign_in(app, product, email: str, password: str):
    app.reset()
    app.extra_environ.update(SHOPPER)
    add_to_basket(app, product)
    form = form_with_field(app.get("/checkout/"), "username")
    form["username"] = email
    form["options"] = "existing"
    form["password"] = password
    return form.submit(expect_errors=True)


def test_a_returning_customer_signs_in_at_checkout(django_app, catalogue, wanjiru):
    response = gateway_sign_in(django_app, catalogue.kettle, wanjiru.email, PASSWORD)

    assert response.status_code == 302
    assert response["Location"].endswith("/checkout/shipping-address/")


def test_guessing_at_checkout_locks_the_account_from_that_address(django_app, catalogue, wanjiru):
    for attempt in range(4):
        refused = gateway_sign_in(django_app, catalogue.kettle, wanjiru.email, "guess")
        assert refused.status_code == 200 and "Please enter a correct" in refused.text, attempt

    assert locked_out(gateway_sign_in(django_app, catalogue.kettle, wanjiru.email, "guess"))
    assert locked_out(gateway_sign_in(django_app, catalogue.kettle, wanjiru.email, PASSWORD))
