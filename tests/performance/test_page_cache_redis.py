"""With Redis, as in production: a worker serves a page again from its own copy without a
single trip to Redis, and a catalogue change made by any other worker shows on its very
next view (apps/shop/page_cache.py, apps/shop/version_watch.py)."""

import re

import pytest
import redis
from django.core.cache import cache
from django.test import Client
from oscar.core.loading import get_model

from apps.shop import cache as shop_cache
from apps.shop import page_cache
from tests.integration.shop.test_version_watch import bump_in_another_process
from tests.performance.conftest import Catalogue
from tests.performance.test_page_cache import use_redis_cache

Product = get_model("catalogue", "Product")


@pytest.fixture
def shop(catalogue: Catalogue, settings) -> Catalogue:
    use_redis_cache(settings)
    catalogue.add_products(4)
    return catalogue


@pytest.fixture
def redis_commands(monkeypatch) -> list:
    """Every command this process sends to Redis (subscriptions only listen)."""
    sent = []
    execute = redis.Redis.execute_command

    def counting(self, *args, **options):
        sent.append(args[0])
        return execute(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    return sent


def view(url: str):
    response = Client().get(url)
    assert response.status_code == 200
    return response


def bump_in_another_worker() -> None:
    """What a dashboard worker does when staff save a change: the version is bumped by
    another process, and this one can only learn of it through Redis."""
    backend = cache._cache.get_client()  # the same Redis server and database
    url = "redis://{host}:{port}/{db}".format(**backend.connection_pool.connection_kwargs)
    bump_in_another_process(cache.make_and_validate_key(shop_cache.CATALOGUE_VERSION_KEY), url)


def test_a_page_served_again_costs_no_trip_to_redis(shop, redis_commands):
    for url in ("/", "/catalogue/", shop.products[0].get_absolute_url()):
        view(url)
        redis_commands.clear()

        again = view(url)

        assert again[page_cache.STATUS_HEADER] == "hit"
        assert redis_commands == [], url


def test_reading_the_version_on_every_request_is_the_fallback(shop, settings, redis_commands):
    settings.SHOP_CATALOGUE_VERSION_RECHECK_SECONDS = 0  # no subscription
    view("/catalogue/")
    redis_commands.clear()

    again = view("/catalogue/")

    assert again[page_cache.STATUS_HEADER] == "hit"
    assert redis_commands == ["MGET"]  # the version and the page, one round trip


def test_a_change_made_by_another_worker_shows_on_the_next_view(shop):
    view("/catalogue/")
    assert view("/catalogue/")[page_cache.STATUS_HEADER] == "hit"
    # The other worker's change: in the database (no signal here, so no bump from this
    # process) and then the version bump it makes.
    Product.objects.filter(pk=shop.products[0].pk).update(title="Sufuria ya udongo")
    bump_in_another_worker()

    response = view("/catalogue/")  # no waiting

    assert response[page_cache.STATUS_HEADER] == "miss"
    assert "Sufuria ya udongo" in response.content.decode()
    assert view("/catalogue/")[page_cache.STATUS_HEADER] == "hit"


def test_other_workers_pages_are_taken_from_redis_and_kept(shop, redis_commands):
    view("/catalogue/")  # rendered and stored "by another worker"...
    page_cache.local_pages.clear()  # ...so this one has no copy of its own
    redis_commands.clear()

    first = view("/catalogue/")
    commands_first = list(redis_commands)
    redis_commands.clear()
    second = view("/catalogue/")

    assert first[page_cache.STATUS_HEADER] == second[page_cache.STATUS_HEADER] == "hit"
    assert commands_first == ["GET"]  # the page only; the version is known
    assert redis_commands == []


def test_a_page_past_its_cache_lifetime_is_rendered_again(shop, settings, monkeypatch):
    view("/catalogue/")
    assert view("/catalogue/")[page_cache.STATUS_HEADER] == "hit"
    later = page_cache.time.time() + settings.SHOP_PAGE_CACHE_SECONDS + 1
    monkeypatch.setattr(page_cache.time, "time", lambda: later)

    assert view("/catalogue/")[page_cache.STATUS_HEADER] == "miss"


def test_shoppers_still_get_their_own_token_from_a_kept_copy(shop):
    view("/catalogue/")
    tokens = set()
    for _ in range(3):
        html = view("/catalogue/").content.decode()
        tokens.update(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    assert len(tokens) == 3
    assert shop_cache.PLACEHOLDER_PREFIX not in html
