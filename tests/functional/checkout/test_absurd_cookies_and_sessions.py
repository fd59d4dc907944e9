"""A basket cookie or a session holding what the shop never wrote there (a forged or
mangled cookie, a value of the wrong type left in a session) never makes a page answer
500: the home page, the basket, every checkout step and the waiting page."""

import json

import pytest
from django.conf import settings
from django.core.signing import Signer
from django.test import Client

from apps.payment.mpesa.waiting import waiting_page_url

BASKET_COOKIE = settings.OSCAR_BASKET_COOKIE_OPEN

CHECKOUT_PAGES = [
    "/checkout/",
    "/checkout/shipping-address/",
    "/checkout/shipping-method/",
    "/checkout/payment-method/",
    "/checkout/payment-details/",
    "/checkout/preview/",
    "/checkout/thank-you/",
]
PAGES = ["/", "/basket/", "/basket/status/", *CHECKOUT_PAGES]


def answers(client: Client, urls: list[str]) -> dict[str, int]:
    return {url: client.get(url).status_code for url in urls}


def no_500(statuses: dict[str, int]) -> bool:
    return all(status < 500 for status in statuses.values())


@pytest.mark.parametrize(
    "cookie",
    [
        "",
        "garbage",
        "1:forged-signature",
        "99999999999999999999:forged",
        ":",
        "::::",
        "1" * 4000,
        "\u0661:\u0662".encode().decode("latin-1"),  # as a WSGI server passes UTF-8 on
        "%00%ff",
        # Signed by the shop itself, yet no basket id: a defence in depth behind the signature.
        Signer().sign("abc"),
        Signer().sign("99999999999999999999"),
        Signer().sign("-1"),
        Signer().sign("1.5"),
        Signer().sign(""),
        Signer().sign("\u0661").encode().decode("latin-1"),
    ],
)
def test_an_absurd_basket_cookie_gets_an_empty_basket(catalogue, cookie):
    shopper = Client()
    shopper.cookies[BASKET_COOKIE] = cookie

    statuses = answers(shopper, PAGES)

    assert no_500(statuses), statuses
    assert json.loads(shopper.get("/basket/status/").content)["num_items"] == 0


def test_a_signed_in_shopper_with_an_absurd_basket_cookie(catalogue, django_user_model):
    """Signing in merges the cookie's basket into the account's: the same reading."""
    shopper = Client()
    shopper.force_login(django_user_model.objects.create_user("wanjiku", "w@example.co.ke"))
    shopper.cookies[BASKET_COOKIE] = Signer().sign("abc")

    statuses = answers(shopper, PAGES)

    assert no_500(statuses), statuses


def in_session(client: Client, **values) -> None:
    session = client.session
    session.update(values)
    session.save()


ABSURD_ORDER_IDS = ["abc", "", -1, 10**30, 1.5, [1], {"id": 1}, None, True]


@pytest.mark.parametrize("order_id", ABSURD_ORDER_IDS)
def test_a_garbage_checkout_order_id_in_the_session(catalogue, pending_order, order_id):
    shopper = Client()
    in_session(shopper, checkout_order_id=order_id)

    statuses = answers(shopper, [*PAGES, waiting_page_url(pending_order.number)])

    assert no_500(statuses), statuses


@pytest.mark.parametrize(
    "checkout_data",
    [
        "garbage",
        [],
        17,
        {"shipping": "x", "billing": [], "guest": 3, "payment": None, "submission": "s"},
        {
            "shipping": {"new_address_fields": "x", "user_address_id": "abc", "method_code": 5},
            "billing": {
                "new_address_fields": [1],
                "user_address_id": [],
                "billing_address_same_as_shipping": "yes",
            },
            "guest": {"email": {"a": 1}},
            "payment": {"method": []},
            "submission": {"basket_id": "abc", "order_number": {"n": 1}},
        },
        {
            "shipping": {
                "new_address_fields": {"first_name": 5, "country_id": "ZZ", "phone_number": []},
                "method_code": "no-such-method",
            },
            "submission": {"basket_id": 10**30},
        },
        {
            "shipping": {"user_address_id": 10**30},
            "billing": {"user_address_id": -5},
        },
    ],
)
def test_garbage_checkout_data_in_the_session(catalogue, checkout_data):
    shopper = Client()
    shopper.post(f"/basket/add/{catalogue.kettle.pk}/", {"quantity": 1})
    in_session(shopper, checkout_data=checkout_data)

    statuses = answers(shopper, PAGES)

    assert no_500(statuses), statuses
