"""With Redis, as in production: a worker serves a page again from its own copy without a
single trip to Redis, and a catalogue change made by any other program shows on the next
view once the version is read again (apps/storefront/page_cache.py, apps/storefront/)."""

import re

import pytest
import redis
from django.db import connection
from django.test import Client
from oscar.core.loading import get_model

from apps.storefront import cache as shop_cache
from apps.storefront import page_cache
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


def test_a_page_served_again_costs_no_trip_to_redis(shop, redis_commands):
    for url in ("/", "/catalogue/", shop.products[0].get_absolute_url()):
        view(url)
        redis_commands.clear()

        again = view(url)

        assert again[page_cache.STATUS_HEADER] == "hit"
        assert redis_commands == [], url


def test_a_change_made_by_another_program_shows_on_the_next_view(shop):
    view("/catalogue/")
    assert view("/catalogue/")[page_cache.STATUS_HEADER] == "hit"
    # Another program's change, straight into the database: no signal, no Redis.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE catalogue_product SET title = %s WHERE id = %s",
            ["Sufuria ya udongo", shop.products[0].pk],
        )

    response = view("/catalogue/")  # staleness bound 0 in the test settings: no waiting

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
