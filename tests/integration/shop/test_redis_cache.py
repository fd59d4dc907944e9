"""The shop's Redis cache backend against the real Redis (TEST_REDIS_URL; CI starts it)."""

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from apps.shop.redis_cache import RedisCache


@pytest.fixture
def redis_cache():
    url = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
    backend = RedisCache(url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}", "TIMEOUT": 60})
    yield backend
    backend.delete_many([f"key-{n}" for n in range(40)])


def test_one_client_object_serves_every_call(redis_cache):
    assert redis_cache._cache.get_client() is redis_cache._cache.get_client(write=True)


def test_threads_share_the_client_and_read_what_they_wrote(redis_cache):
    def work(n: int) -> tuple:
        redis_cache.set(f"key-{n}", {"n": n})
        return redis_cache.get(f"key-{n}"), redis_cache.get_many([f"key-{n}", "missing"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(40)))

    for n, (value, many) in enumerate(results):
        assert value == {"n": n}
        assert many == {f"key-{n}": {"n": n}}
    assert len(redis_cache._cache._clients) == 1
