"""Redis is a cache, not a single point of failure: with the shop's Redis stopped under it,
every storefront page answers, a shopper fills a basket and pays with M-Pesa (the
simulator's callback settles the order), one line is logged for the outage, and once
Redis is back the shop caches again by itself."""

import logging
import uuid

import pytest
from django.test import Client

from apps.payment.models import MpesaPaymentAttempt
from apps.storefront import page_cache
from oscar_shop import redis_cache
from tests.helpers import RedisServer, redis_cache_setting

from .conftest import Order, place_order_and_pay, to_payment_details, wait_for_attempt, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

#: Short, so that the test sees Redis tried again within a second of its return.
RETRY_SECONDS = 0.5


@pytest.fixture
def indexed_catalogue(catalogue):
    """The category page lists products through the search engine (the catalogue tables)."""
    return catalogue


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def shop_on_redis(settings, redis_server) -> str:
    """The shop's cache on the test's own Redis, as production configures it; returns
    the key prefix."""
    prefix = f"outage-{uuid.uuid4().hex}"
    settings.CACHES = {"default": redis_cache_setting(redis_server.url, prefix, RETRY_SECONDS)}
    page_cache.local_pages.clear()
    return prefix


def storefront_pages(catalogue) -> list[str]:
    return [
        "/",
        "/catalogue/",
        catalogue.kitchen.get_absolute_url(),
        catalogue.kettle.get_absolute_url(),
    ]


def pages_in_redis(server: RedisServer, prefix: str) -> list[bytes]:
    return server.client().keys(f"{prefix}:*shop:page:*")


def assert_pages_answer(catalogue) -> None:
    for url in storefront_pages(catalogue):
        response = Client().get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert catalogue.kettle.title in response.content.decode(), url


def outage_records(caplog) -> list[tuple[str, str]]:
    return [
        (record.levelname, record.getMessage())
        for record in caplog.records
        if record.name == redis_cache.__name__
    ]


def test_the_shop_sells_through_a_redis_outage_and_caches_again_when_it_returns(
    django_app, indexed_catalogue, daraja_simulator, redis_server, shop_on_redis, caplog
):
    catalogue = indexed_catalogue
    caplog.set_level(logging.INFO, logger=redis_cache.__name__)
    assert_pages_answer(catalogue)
    assert pages_in_redis(redis_server, shop_on_redis)

    redis_server.stop()
    page_cache.local_pages.clear()  # as a worker that had not served these pages yet
    for _ in range(3):
        assert_pages_answer(catalogue)

    payment_page = to_payment_details(django_app, catalogue.kettle)  # basket add included
    response = place_order_and_pay(django_app, payment_page)
    assert response.status_code == 302 and "/checkout/pay/" in response["Location"]
    order = Order.objects.get()
    wait_for_attempt(order.number, MpesaPaymentAttempt.Status.SUCCEEDED)  # the callback
    wait_until(lambda: Order.objects.get().status == "Paid", what="order paid")
    thank_you = response.follow().maybe_follow()
    assert thank_you.request.path == "/checkout/thank-you/" and thank_you.status_code == 200

    [(level, message)] = outage_records(caplog)
    assert level == "WARNING" and "unreachable" in message

    redis_server.start()

    def page_stored_again():
        # A page this worker has not kept in its own memory asks the cache.
        page_cache.local_pages.clear()
        assert Client().get("/catalogue/").status_code == 200
        return pages_in_redis(redis_server, shop_on_redis)

    wait_until(page_stored_again, timeout=10, what="a page stored in Redis again")
    levels = [level for level, _message in outage_records(caplog)]
    assert levels == ["WARNING", "INFO"]
