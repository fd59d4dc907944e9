"""Shoppers at each step of the checkout, a customer and staff, for the fuzz properties.

Each is a Django test client whose session and basket are made once per test; the
properties run every example in a rolled-back savepoint (``invariants.rolled_back``), so
the examples all start from here."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.functional.storefront.conftest import catalogue  # noqa: F401  (shared fixture)
from tests.integration.payment.conftest import daraja, pending_order  # noqa: F401

GUEST_EMAIL = "wanjiku@example.co.ke"
CUSTOMER_EMAIL = "akinyi@example.co.ke"
CUSTOMER_PASSWORD = "Nyama-choma-2026"
KENYAN_ADDRESS = {
    "first_name": "Wanjiku",
    "last_name": "Kamau",
    "line1": "Kimathi House, Kimathi Street",
    "line4": "Nairobi",
    "state": "Nairobi",
    "phone_number": "0712 345 678",
}


def redirected_to(response, path: str) -> bool:
    return response.status_code == 302 and response["Location"].endswith(path)


@pytest.fixture
def shopper(catalogue):  # noqa: F811
    """A guest with a kettle in the basket."""
    client = Client()
    response = client.post(f"/basket/add/{catalogue.kettle.pk}/", {"quantity": "1"})
    assert response.status_code == 302
    return client


@pytest.fixture
def guest_at_address(shopper):
    """A guest who gave an email at the checkout's first step."""
    response = shopper.post("/checkout/", {"username": GUEST_EMAIL, "options": "anonymous"})
    assert redirected_to(response, "/checkout/shipping-address/")
    return shopper


@pytest.fixture
def guest_at_shipping_method(guest_at_address):
    response = guest_at_address.post("/checkout/shipping-address/", KENYAN_ADDRESS)
    assert redirected_to(response, "/checkout/shipping-method/")
    return guest_at_address


@pytest.fixture
def guest_at_payment(guest_at_shipping_method):
    """A guest on the payment step: address given, Nairobi delivery chosen."""
    response = guest_at_shipping_method.post(
        "/checkout/shipping-method/", {"method_code": "nairobi-delivery"}, follow=True
    )
    assert response.request["PATH_INFO"] == "/checkout/payment-details/"
    return guest_at_shipping_method


@pytest.fixture
def customer(db):
    return get_user_model().objects.create_user(
        username="akinyi", email=CUSTOMER_EMAIL, password=CUSTOMER_PASSWORD
    )


@pytest.fixture
def signed_in(customer):
    client = Client()
    client.force_login(customer)
    return client


@pytest.fixture
def staff_client(db):
    """A superuser in the dashboard: every staff form and action is open to them."""
    boss = get_user_model().objects.create_user(
        username="boss", email="boss@duka.example", password="pw", is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(boss)
    return client
