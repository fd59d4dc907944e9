"""Property-based fuzzing of the query strings strangers can put on the storefront's pages:
no 5xx answer, whatever the parameters (the ones each page reads, and others), their
values (odd unicode, NUL bytes, numbers of any script and size) or the raw bytes of the
query string (invalid percent escapes, bytes that are no UTF-8).

Covered: the home page, the catalogue and a category (``page``, ``sort_by``,
``selected_facets``, price ranges), the search page (``q``, ``page``, ``sort_by``,
``selected_facets``), a product page, the offers and a range page, the basket and its
JSON, a guest's order-status page, and the waiting page and its JSON status URL (with
the order's real link: the page reads no parameter, and must ignore any).
"""

import pytest
from django.test import Client
from django.utils.http import urlencode
from hypothesis import given
from hypothesis import strategies as st

from apps.payment.mpesa.waiting import waiting_page_url
from tests.functional.storefront.conftest import search_index  # noqa: F401  (shared fixture)
from tests.fuzz.invariants import assert_no_server_error, rolled_back
from tests.fuzz.strategies import fuzz, odd_text, raw_query_strings

pytestmark = pytest.mark.django_db

FACETS = [
    "product_class_exact:Household",
    "category_exact:Kitchen",
    "price_exact:[0 TO 1000]",
    "price_exact:[1000 TO *]",
    "rating_exact:5",
    "num_in_stock_exact:[1 TO *]",
]
page_numbers = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.sampled_from(["1", "2", "last", "0", "01", "\u0661", "\uff12", "\u00b2", "1.0", ""]),
    odd_text,
)
listing_queries = st.fixed_dictionaries(
    {},
    optional={
        "page": page_numbers | st.lists(page_numbers, min_size=2, max_size=3),
        "sort_by": st.sampled_from(
            ["relevancy", "rating", "newest", "price-desc", "price-asc", "title-asc", "title-desc"]
        )
        | odd_text,
        "selected_facets": st.lists(st.sampled_from(FACETS) | odd_text, max_size=3),
        "q": st.sampled_from(["kettle", "sufuria", "*", "AND OR NOT", '"', "title:kettle"])
        | odd_text,
        "price_min": odd_text,
        "models": odd_text,
    },
)
other_parameters = st.dictionaries(odd_text.filter(bool), odd_text, max_size=2)


def get(client: Client, path: str, query: dict, extra_params: dict, raw: str | None):
    extra = {} if raw is None else {"QUERY_STRING": raw}
    return client.get(f"{path}?{urlencode({**extra_params, **query}, doseq=True)}", **extra)


@pytest.fixture
def pages(search_index, pending_order):  # noqa: F811
    catalogue = search_index
    return {
        "home": "/",
        "catalogue": "/catalogue/",
        "category": catalogue.kitchen.get_absolute_url(),
        "search": "/search/",
        "product": catalogue.kettle.get_absolute_url(),
        "offers": "/offers/",
        "range": "/catalogue/ranges/featured/",
        "basket": "/basket/",
        "basket status": "/basket/status/",
        "guest order status": (
            f"/accounts/order-status/{pending_order.number}/{pending_order.verification_hash()}/"
        ),
        "waiting page": waiting_page_url(pending_order.number),
        "waiting status": waiting_page_url(pending_order.number) + "status/",
    }


@fuzz(60)
@given(
    page=st.sampled_from(
        [
            "home",
            "catalogue",
            "category",
            "search",
            "search",
            "product",
            "offers",
            "range",
            "basket",
            "basket status",
            "guest order status",
            "waiting page",
            "waiting status",
        ]
    ),
    query=listing_queries,
    extra_params=other_parameters,
    raw=st.one_of(st.none(), st.none(), raw_query_strings),
)
def test_any_query_string_on_any_page(pages, daraja, page, query, extra_params, raw):
    with rolled_back():
        response = get(Client(), pages[page], query, extra_params, raw)
        assert_no_server_error(response)


@fuzz(30)
@given(query=listing_queries, extra_params=other_parameters)
def test_listing_queries_for_a_signed_in_customer(signed_in, search_index, query, extra_params):  # noqa: F811
    """Signed-in shoppers get pages rendered for them, never from the page cache, and
    their searches are kept for Oscar's analytics."""
    with rolled_back():
        for path in ("/catalogue/", "/search/"):
            assert_no_server_error(get(signed_in, path, query, extra_params, None))
