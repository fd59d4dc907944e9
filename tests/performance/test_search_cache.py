"""Listings and searches are answered by the search engine once per catalogue change, not
once per page view, and the cache keeps a fixed number of answers however many different
searches arrive."""

from unittest import mock

import pytest
from django.core.cache import cache
from django_redis import get_redis_connection

from apps.search.engine.backend import ShopSearchBackend
from tests.performance.test_page_cache import use_redis_cache


def engine_calls(client, url: str) -> int:
    with mock.patch.object(
        ShopSearchBackend, "answer", autospec=True, side_effect=ShopSearchBackend.answer
    ) as search:
        assert client.get(url).status_code == 200
    return search.call_count


def test_a_listing_seen_again_does_not_ask_the_engine(catalogue, client):
    catalogue.add_products(3)

    assert engine_calls(client, "/catalogue/") >= 1
    assert engine_calls(client, "/catalogue/") == 0
    assert engine_calls(client, "/search/?q=jiko") >= 1
    assert engine_calls(client, "/search/?q=jiko") == 0
    assert engine_calls(client, "/search/?q=sufuria") >= 1  # another query: its own answer


def test_a_saved_product_is_searched_at_once(catalogue, client):
    catalogue.add_products(3)
    assert "Jiko la makaa" not in client.get("/search/?q=makaa").content.decode()

    product = catalogue.products[1]
    product.title = "Jiko la makaa"
    product.save()  # no index to update

    assert "Jiko la makaa" in client.get("/search/?q=makaa").content.decode()


def test_a_catalogue_change_asks_the_engine_again(catalogue, client):
    catalogue.add_products(3)
    engine_calls(client, "/catalogue/")
    stockrecord = catalogue.products[0].stockrecords.get()
    stockrecord.price = 10
    stockrecord.save()

    assert engine_calls(client, "/catalogue/") >= 1


@pytest.fixture(params=["local memory", "redis"])
def shop_cache_backend(request, settings) -> str:
    """The embedded run's cache, and Redis as in production."""
    if request.param == "redis":
        use_redis_cache(settings)
    return request.param


def search_entries() -> list[str]:
    """The cached search answers' keys, wherever the cache keeps them."""
    prefix = cache.make_key("shop:search:")
    if hasattr(cache, "_cache") and isinstance(cache._cache, dict):  # local memory
        keys = cache._cache.keys()
    else:
        keys = (k.decode() for k in get_redis_connection("default").scan_iter(prefix + "*"))
    return [key for key in keys if key.startswith(prefix)]


def test_a_flood_of_different_searches_keeps_a_fixed_number_of_answers(
    catalogue, client, settings, shop_cache_backend
):
    """Every different search used to be kept for a day: thousands of made-up searches
    filled the cache without bound."""
    settings.SHOP_SEARCH_CACHE_SLOTS = 8
    catalogue.add_products(3)
    client.get("/search/?q=jiko")

    for number in range(60):
        assert client.get(f"/search/?q=jiko+{number}").status_code == 200

    assert 0 < len(search_entries()) <= 8


def test_a_search_sharing_a_slot_gets_its_own_answer(catalogue, client, settings):
    settings.SHOP_SEARCH_CACHE_SLOTS = 1  # every search in the same one or two slots
    catalogue.add_products(2)
    catalogue.add_products(2, title="Sufuria number {number}")

    for _ in range(2):
        jiko = client.get("/search/?q=jiko").content.decode()
        sufuria = client.get("/search/?q=sufuria").content.decode()
        assert "Jiko number 1" in jiko and "Sufuria number 3" not in jiko
        assert "Sufuria number 3" in sufuria and "Jiko number 1" not in sufuria


def test_a_search_longer_than_the_limit_is_answered_but_not_kept(catalogue, client, settings):
    settings.SHOP_SEARCH_CACHE_MAX_QUERY_CHARS = 200
    catalogue.add_products(3)
    long_query = "jiko " + "x" * 300

    assert engine_calls(client, f"/search/?q={long_query}") >= 1
    assert engine_calls(client, f"/search/?q={long_query}") >= 1
    assert search_entries() == []
