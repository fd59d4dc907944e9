"""Property-based fuzzing of the cookies a browser sends back: whatever they hold, the
storefront's pages answer without a 5xx and no money record changes.

Covered: the session cookie (``sessionid``: garbage, well-formed keys of no session, and a
real guest's or customer's session beside the other garbage), Oscar's signed basket cookie
(``oscar_open_basket``: random text, ``id:signature`` shapes, huge and negative ids, values
the shop itself signed that are no basket id, another basket's id), the history cookie
(``oscar_history``: JSON of any shape, not JSON), the CSRF cookie (``csrftoken``: garbage,
on GETs and on a POST checked as a browser's is) and Django's signed messages cookie, each
alone or together in one ``Cookie`` header as a WSGI server passes it on (Latin-1), on the
home page, the catalogue, a category, a product page, the basket (and its JSON), every
checkout step and the search page.
"""

import json

import pytest
from django.conf import settings
from django.core.signing import Signer
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.invariants import assert_no_server_error, money_snapshot, rolled_back
from tests.fuzz.strategies import fuzz, odd_text, raw_cookie_values

pytestmark = pytest.mark.django_db

BASKET_COOKIE = settings.OSCAR_BASKET_COOKIE_OPEN
HISTORY_COOKIE = settings.OSCAR_RECENTLY_VIEWED_COOKIE_NAME

PAGES = [
    "/",
    "/catalogue/",
    "CATEGORY",
    "PRODUCT",
    "/basket/",
    "/basket/status/",
    "/checkout/",
    "/checkout/shipping-address/",
    "/checkout/shipping-method/",
    "/checkout/payment-details/",
    "/checkout/thank-you/",
    "/search/?q=kettle",
]

ids = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, 2, 2**31, 2**63 - 1, 2**63, 2**64]),
)
basket_cookies = st.one_of(
    raw_cookie_values,
    st.tuples(
        ids,
        st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", max_size=43),
    ).map(lambda parts: f"{parts[0]}:{parts[1]}"),
    ids.map(lambda n: Signer().sign(str(n))),
    odd_text.map(
        lambda text: Signer().sign(text).encode("utf-8", "surrogatepass").decode("latin-1")
    ),
    st.just("OTHER_BASKET"),
)
json_values = st.recursive(
    st.none() | st.booleans() | ids | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)
history_cookies = st.one_of(
    raw_cookie_values,
    st.lists(ids, max_size=30).map(json.dumps),
    json_values.map(lambda value: json.dumps(value, allow_nan=True)),
)
session_keys = st.one_of(
    raw_cookie_values,
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=32, max_size=32),
    st.sampled_from(["GUEST", "CUSTOMER"]),
)
csrf_tokens = st.one_of(
    raw_cookie_values,
    st.text(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=32, max_size=64
    ),
)
cookie_jars = st.fixed_dictionaries(
    {},
    optional={
        "sessionid": session_keys,
        BASKET_COOKIE: basket_cookies,
        HISTORY_COOKIE: history_cookies,
        "csrftoken": csrf_tokens,
        "messages": raw_cookie_values,
    },
)


@pytest.fixture
def other_basket(catalogue):
    """A basket someone else filled, and its cookie as the shop signed it."""
    other = Client()
    other.post(f"/basket/add/{catalogue.sufuria.pk}/", {"quantity": "1"})
    return other.cookies[BASKET_COOKIE].value


@pytest.fixture
def real_sessions(guest_at_payment, signed_in):
    return {
        "GUEST": guest_at_payment.cookies["sessionid"].value,
        "CUSTOMER": signed_in.cookies["sessionid"].value,
    }


def cookie_header(jar: dict, real_sessions: dict, other_basket: str) -> str:
    values = dict(jar)
    if "sessionid" in values:
        values["sessionid"] = real_sessions.get(values["sessionid"], values["sessionid"])
    if values.get(BASKET_COOKIE) == "OTHER_BASKET":
        values[BASKET_COOKIE] = other_basket
    return "; ".join(f"{name}={value}" for name, value in values.items())


def page_url(page: str, catalogue) -> str:
    if page == "PRODUCT":
        return catalogue.kettle.get_absolute_url()
    if page == "CATEGORY":
        return catalogue.kitchen.get_absolute_url()
    return page


@fuzz(60)
@given(jar=cookie_jars, page=st.sampled_from(PAGES), junk=st.one_of(st.none(), raw_cookie_values))
def test_any_cookies_on_any_page(catalogue, real_sessions, other_basket, jar, page, junk):
    header = cookie_header(jar, real_sessions, other_basket)
    if junk is not None:
        header = f"{header}; {junk}"  # a cookie header no browser would write
    with rolled_back():
        before = money_snapshot()
        response = Client().get(page_url(page, catalogue), HTTP_COOKIE=header)
        assert_no_server_error(response)
        assert money_snapshot() == before


@fuzz(30)
@given(jar=cookie_jars, form_token=st.one_of(st.none(), csrf_tokens))
def test_a_checked_post_with_any_cookies(catalogue, real_sessions, other_basket, jar, form_token):
    """As a browser's: Django checks the CSRF cookie against the form's token."""
    data = {"quantity": "1"}
    if form_token is not None:
        data["csrfmiddlewaretoken"] = form_token
    with rolled_back():
        before = money_snapshot()
        response = Client(enforce_csrf_checks=True).post(
            f"/basket/add/{catalogue.kettle.pk}/",
            data,
            HTTP_COOKIE=cookie_header(jar, real_sessions, other_basket),
        )
        assert_no_server_error(response)
        assert money_snapshot() == before
