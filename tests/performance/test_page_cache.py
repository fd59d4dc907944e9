"""Whole storefront pages are served from the cache to shoppers who are not signed in,
each with their own CSRF token, basket count and viewing history, and a catalogue change
shows on the very next view (apps/storefront/page_cache.py)."""

import json
import re
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_redis import get_redis_connection
from oscar.core.loading import get_model

from apps.storefront import cache as shop_cache
from apps.storefront import page_cache
from tests.helpers import redis_cache_setting, shared_redis_url
from tests.performance.conftest import Catalogue

ProductRecord = get_model("analytics", "ProductRecord")
ProductReview = get_model("reviews", "ProductReview")

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
BASKET_COUNT = re.compile(r"data-basket-count>(\d+)</span>")


@pytest.fixture(params=["local memory", "redis"])
def shop(request, catalogue: Catalogue, settings) -> Catalogue:
    """The shop with the embedded run's cache, and with Redis as in production: there each
    process keeps its own copies of pages and learns of catalogue changes by subscription."""
    if request.param == "redis":
        use_redis_cache(settings)
    catalogue.add_products(4)
    return catalogue


def use_redis_cache(settings) -> None:
    """The production cache (django-redis, oscar_shop/settings/base.py) on this test
    process's database of TEST_REDIS_URL (tests/helpers.py, shared_redis_url)."""
    location = shared_redis_url()
    settings.CACHES = {"default": redis_cache_setting(location, f"test-{uuid.uuid4().hex}")}
    page_cache.local_pages.clear()


def pages(shop: Catalogue) -> list[str]:
    return ["/", "/catalogue/", shop.category.get_absolute_url(), shop.products[0].url]


def get(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


@pytest.fixture(autouse=True)
def _product_urls(shop: Catalogue) -> None:
    for product in shop.products:
        product.url = product.get_absolute_url()


def test_a_repeat_view_by_another_shopper_runs_no_query_but_a_product_pages_stock(shop, settings):
    settings.SHOP_VIEW_COUNT_FLUSH_SECONDS = 3600  # product views counted, written later
    for url in pages(shop):
        first = get(Client(), url)
        assert first[page_cache.STATUS_HEADER] == "miss"

        with CaptureQueriesContext(connection) as queries:
            second = get(Client(), url)
        assert second[page_cache.STATUS_HEADER] == "hit", url
        # A product page shows its stock count: its stock records are read (one query).
        read = [q["sql"] for q in queries]
        if url == shop.products[0].url:
            assert len(read) == 1 and "partner_stockrecord" in read[0], read
        else:
            assert read == [], (url, read)
        # The same page, but for the shopper's own CSRF token.
        assert CSRF_INPUT.sub("", second.content.decode()) == CSRF_INPUT.sub(
            "", first.content.decode()
        )


def test_no_placeholder_ever_reaches_a_shopper(shop):
    viewer = Client()
    get(viewer, shop.products[1].url)  # a viewing history, for the product page's section
    for url in pages(shop):
        for client in (Client(), viewer):
            html = get(client, url).content.decode()
            assert shop_cache.PLACEHOLDER_PREFIX not in html


def test_each_shopper_adds_to_the_basket_with_the_token_their_cached_page_carries(shop):
    get(Client(), "/catalogue/")  # someone else's view fills the cache
    shopper = Client(enforce_csrf_checks=True)
    response = get(shopper, "/catalogue/")
    assert response[page_cache.STATUS_HEADER] == "hit"
    token = CSRF_INPUT.search(response.content.decode()).group(1)

    added = shopper.post(
        f"/basket/add/{shop.products[0].pk}/", {"csrfmiddlewaretoken": token, "quantity": 1}
    )

    assert added.status_code == 302
    assert json.loads(get(shopper, "/basket/status/").content)["num_items"] == 1


def test_the_basket_count_on_a_cached_page_is_the_shoppers_own(shop):
    get(Client(), "/catalogue/")
    shopper = Client()
    shopper.post(f"/basket/add/{shop.products[0].pk}/", {"quantity": 2})
    get(shopper, "/basket/status/")  # shows (and so clears) the "added" message

    mine = get(shopper, "/catalogue/")
    with CaptureQueriesContext(connection) as queries:
        someone_elses = get(Client(), "/catalogue/")

    assert mine[page_cache.STATUS_HEADER] == "hit"
    assert BASKET_COUNT.search(mine.content.decode()).group(1) == "2"
    assert BASKET_COUNT.search(someone_elses.content.decode()).group(1) == "0"
    assert len(queries) == 0  # no basket cookie: no basket to read


def test_a_catalogue_change_shows_on_the_next_cached_view(shop):
    showing_the_price = pages(shop)[1:]  # the home page does not list this product
    for url in showing_the_price:
        get(Client(), url)
        get(Client(), url)
    stockrecord = shop.products[0].stockrecords.get()
    stockrecord.price = Decimal("777.00")
    stockrecord.save()

    for url in showing_the_price:
        response = get(Client(), url)
        assert response[page_cache.STATUS_HEADER] == "miss", url
        assert re.search(r"KSh\s777", response.content.decode()), url


def test_signed_in_shoppers_get_their_own_page(shop):
    get(Client(), "/catalogue/")
    user = get_user_model().objects.create_user("wanjiru", "wanjiru@example.co.ke", "pw")
    client = Client()
    client.force_login(user)

    response = get(client, "/catalogue/")

    assert response[page_cache.STATUS_HEADER] == "bypass (signed in)"
    assert "/accounts/logout/" in response.content.decode()


def test_a_page_with_a_message_waiting_is_rendered_for_that_shopper(shop):
    get(Client(), "/catalogue/")
    shopper = Client()
    shopper.post(f"/basket/add/{shop.products[0].pk}/", {"quantity": 1})

    with_message = get(shopper, "/catalogue/")
    after = get(shopper, "/catalogue/")

    assert with_message[page_cache.STATUS_HEADER] == "bypass (messages)"
    assert "has been added to your cart" in with_message.content.decode()
    assert after[page_cache.STATUS_HEADER] == "hit"
    assert "has been added to your cart" not in after.content.decode()


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?page=1", "miss"),
        ("?sort_by=price-asc", "miss"),
        ("?utm_source=sms", "bypass (query)"),
        ("?sort_by=price-asc&sort_by=title-asc", "bypass (query)"),
        ("?sort_by=anything", "bypass (query)"),
    ],
)
def test_only_the_storefronts_own_query_strings_are_cached(shop, query, status):
    assert get(Client(), "/catalogue/" + query)[page_cache.STATUS_HEADER] == status


@pytest.mark.parametrize(
    "url",
    [
        "/?page=1000",  # the home page reads no page number
        "/catalogue/?page=\u0661",  # a page number in Arabic-Indic digits
        "/catalogue/?page=\uff12",  # ... and in fullwidth ones
        "/catalogue/?page=01",  # page 1 again, under another name
        "/catalogue/?q=kettle",  # a parameter the catalogue does not read
    ],
)
def test_made_up_query_strings_create_no_cache_entry(shop, url):
    for _ in range(2):
        response = Client().get(url)
        assert response.get(page_cache.STATUS_HEADER, "").startswith("bypass"), url


def test_a_product_page_with_a_query_string_is_not_cached(shop):
    url = shop.products[0].url + "?page=7"
    for _ in range(2):
        assert get(Client(), url)[page_cache.STATUS_HEADER] == "bypass (query)"


def test_a_flood_of_page_numbers_on_the_home_page_stores_nothing(shop, settings):
    """Fifty made-up URLs used to store fifty whole home pages."""
    get(Client(), "/")  # the real home page, stored
    keys_before = set(page_keys())
    assert keys_before  # the count below reads the cache where pages are

    for number in range(1000, 1050):
        Client().get(f"/?page={number}")

    assert set(page_keys()) == keys_before


def test_one_entry_for_a_listing_whatever_the_order_of_its_parameters(shop):
    get(Client(), "/catalogue/?sort_by=price-asc&page=1")

    again = get(Client(), "/catalogue/?page=1&sort_by=price-asc")

    assert again[page_cache.STATUS_HEADER] == "hit"


def page_keys() -> list[str]:
    """The page cache's keys, wherever the cache keeps them (local memory or Redis)."""
    from django.core.cache import cache

    if hasattr(cache, "_cache") and isinstance(cache._cache, dict):  # local memory
        keys = cache._cache.keys()
    else:
        keys = (k.decode() for k in get_redis_connection("default").scan_iter("*"))
    return [key for key in keys if "shop:page:" in key]


def test_pages_that_are_not_found_are_not_cached(shop):
    for _ in range(2):
        response = Client().get("/catalogue/category/no-such-department_999/")
        assert response.status_code == 404
        assert response.get(page_cache.STATUS_HEADER) != "hit"


def test_a_cached_product_page_still_counts_the_view_and_keeps_the_history(shop):
    first, second = shop.products[0], shop.products[1]
    get(Client(), first.url)  # fills the cache: one view
    shopper = Client()
    get(shopper, second.url)

    response = get(shopper, first.url)

    assert response[page_cache.STATUS_HEADER] == "hit"
    assert json.loads(response.cookies["oscar_history"].value) == [second.pk, first.pk]
    html = response.content.decode()
    assert "Products you recently viewed" in html
    recently_viewed = html.split("Products you recently viewed", 1)[1]
    assert second.title in recently_viewed
    assert ProductRecord.objects.get(product=first).num_views == 2
    # A newcomer's copy of the same cached page has no history section.
    assert "Products you recently viewed" not in get(Client(), first.url).content.decode()


def test_an_information_page_edit_shows_in_the_footer_of_cached_pages_at_once(shop):
    page = FlatPage.objects.create(url="/delivery/", title="Delivery")
    page.sites.add(Site.objects.get_current())
    for url in pages(shop):
        get(Client(), url)
    page.title = "Delivery to every county"
    page.save()

    for url in pages(shop):
        assert "Delivery to every county" in get(Client(), url).content.decode(), url


def test_an_approved_review_shows_on_the_cached_product_page_at_once(shop):
    product = shop.products[0]
    get(Client(), product.url)
    ProductReview.objects.create(
        product=product,
        title="Inapika haraka",
        body="Cooks fast",
        score=5,
        name="Achieng",
        email="achieng@example.co.ke",
        status=ProductReview.APPROVED,
    )

    assert "Inapika haraka" in get(Client(), product.url).content.decode()


def test_a_returning_shopper_keeps_their_csrf_cookie_and_their_cached_page_token_works(shop):
    category = shop.category.get_absolute_url()
    get(Client(), "/catalogue/")
    get(Client(), category)
    shopper = Client(enforce_csrf_checks=True)
    first = get(shopper, category)  # a cached page too: it gives the shopper their cookie
    assert first[page_cache.STATUS_HEADER] == "hit"
    cookie = first.cookies["csrftoken"].value

    response = get(shopper, "/catalogue/")
    assert response[page_cache.STATUS_HEADER] == "hit"
    assert shopper.cookies["csrftoken"].value == cookie
    token = CSRF_INPUT.search(response.content.decode()).group(1)
    assert token != CSRF_INPUT.search(first.content.decode()).group(1)  # masked afresh

    added = shopper.post(
        f"/basket/add/{shop.products[0].pk}/", {"csrfmiddlewaretoken": token, "quantity": 1}
    )
    assert added.status_code == 302


def test_a_forged_add_to_basket_without_the_pages_token_is_refused(shop):
    get(Client(), "/catalogue/")
    shopper = Client(enforce_csrf_checks=True)
    get(shopper, "/catalogue/")

    forged = shopper.post(f"/basket/add/{shop.products[0].pk}/", {"quantity": 1})

    assert forged.status_code == 403


#: The CSRF token's and the basket count's placeholders when they were fixed strings: text
#: any visitor could write (the viewing history's was an HTML comment, escaped in text).
FORMER_PLACEHOLDERS = ("shop-csrf-placeholder-7c1e9d", "shop-basket-count-placeholder-41b7")


def test_a_review_quoting_a_placeholder_is_shown_as_written_and_the_token_still_works(shop):
    """A review titled with the CSRF placeholder was shown to every later shopper with
    that shopper's CSRF token in its title (and a basket count for the other one)."""
    product = shop.products[0]
    # What a visitor might try: the former fixed placeholders, and text shaped like the
    # placeholders drawn now (the real ones are drawn per render and never sent).
    title = " ".join((*FORMER_PLACEHOLDERS, shop_cache.PLACEHOLDER_PREFIX + "csrf-" + "0" * 32))
    reviewer = Client()
    form_url = f"/catalogue/{product.slug}_{product.pk}/reviews/add/"
    posted = reviewer.post(
        form_url,
        {"title": title, "score": 5, "body": "Nzuri", "name": "Mgeni", "email": "m@example.co.ke"},
    )
    assert posted.status_code == 302, posted.content.decode()[:2000]
    get(Client(), product.url)  # the page with the review, stored

    shopper = Client(enforce_csrf_checks=True)
    response = get(shopper, product.url)

    assert response[page_cache.STATUS_HEADER] == "hit"
    html = response.content.decode()
    assert title in html
    token = CSRF_INPUT.search(html).group(1)
    added = shopper.post(
        f"/basket/add/{product.pk}/", {"csrfmiddlewaretoken": token, "quantity": 1}
    )
    assert added.status_code == 302
    assert json.loads(get(shopper, "/basket/status/").content)["num_items"] == 1


def test_the_page_cache_header_is_not_sent_without_debug_or_the_setting(shop, settings):
    """As the production settings run (tests/unit/settings: they keep both off)."""
    settings.DEBUG = False
    settings.SHOP_PAGE_CACHE_HEADER = False
    url = "/catalogue/"
    responses = [get(Client(), url), get(Client(), url), get(Client(), url + "?q=x")]

    assert [page_cache.STATUS_HEADER in response for response in responses] == [False] * 3
    assert page_keys()  # the page cache works all the same
