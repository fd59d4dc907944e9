"""The production cache (django-redis behind oscar_shop.redis_cache's breaker) against a
redis-server of the test's own, stopped as a crash would and started again."""

import logging
import uuid

import pytest
from django_redis.cache import RedisCache
from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError

from oscar_shop import redis_cache
from tests.helpers import RedisServer, redis_cache_setting

RETRY_SECONDS = 5.0


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def clock(monkeypatch):
    """The breaker's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(redis_cache, "monotonic", lambda: now[0])
    return now


def backend_for(server: RedisServer, **options) -> RedisCache:
    setting = redis_cache_setting(server.url, f"test-{uuid.uuid4().hex}", RETRY_SECONDS)
    setting["OPTIONS"].update(options)
    return RedisCache(setting["LOCATION"], setting)


@pytest.fixture
def redis_calls(monkeypatch) -> list[str]:
    """The commands that reached django-redis's own client (and so tried Redis)."""
    calls = []
    for name in ("get", "get_many", "set", "delete"):
        command = getattr(DefaultClient, name)

        def counted(self, *args, _name=name, _command=command, **kwargs):
            calls.append(_name)
            return _command(self, *args, **kwargs)

        monkeypatch.setattr(DefaultClient, name, counted)
    return calls


def breaker_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == redis_cache.__name__]


def test_every_call_of_a_thread_uses_one_redis_client(redis_server):
    """One redis.Redis per server, not one per call (building it cost a fifth of a
    listing page's time with Django's own backend)."""
    cache = backend_for(redis_server)
    cache.set("key", {"n": 1})
    assert cache.get("key") == {"n": 1}
    assert cache.client.get_client(write=False) is cache.client.get_client(write=True)


def test_with_redis_down_reads_miss_writes_are_dropped_and_a_lock_is_granted(redis_server, clock):
    cache = backend_for(redis_server)
    cache.set("kept", "value")
    redis_server.stop()

    assert cache.get("kept") is None
    assert cache.get("kept", "default") == "default"
    assert cache.get_many(["kept", "other"]) == {}
    assert not cache.set("new", "value")
    assert not cache.delete("kept")
    # The shop's add() is a short lock (the Daraja token) or a courtesy spacing: with no
    # Redis to hold it, nobody holds it.
    assert cache.add("lock", "1", timeout=5) is True


def test_an_outage_is_logged_once_and_redis_is_left_alone_until_the_retry(
    redis_server, clock, redis_calls, caplog
):
    caplog.set_level(logging.INFO, logger=redis_cache.__name__)
    cache = backend_for(redis_server)
    cache.set("key", "before")
    redis_server.stop()

    assert cache.get("key") is None  # this one tries Redis and fails
    redis_calls.clear()
    for _ in range(50):
        assert cache.get("key") is None
        assert cache.get_many(["key"]) == {}
        cache.set("key", "during")
    assert redis_calls == []  # no connect timeout paid 150 times over

    clock[0] += RETRY_SECONDS
    assert cache.get("key") is None  # one trial call, which fails again
    assert cache.get("key") is None  # and the next ones are skipped again
    assert redis_calls == ["get"]

    redis_server.start()
    clock[0] += RETRY_SECONDS
    cache.set("key", "after")
    assert cache.get("key") == "after"
    assert redis_server.client().exists(cache.make_key("key")) == 1

    records = [(r.levelname, r.getMessage()) for r in breaker_records(caplog)]
    assert [level for level, _ in records] == ["WARNING", "INFO"], records
    assert f"127.0.0.1:{redis_server.port}/0 unreachable" in records[0][1]
    assert "caching resumed" in records[1][1]


def test_only_a_command_that_redis_answered_ends_an_outage(redis_server, clock, caplog):
    """Django closes the cache after each request; closing talks to no Redis, so it must
    not be taken for Redis answering again."""
    caplog.set_level(logging.INFO, logger=redis_cache.__name__)
    cache = backend_for(redis_server)
    redis_server.stop()
    assert cache.get("key") is None

    clock[0] += RETRY_SECONDS
    cache.close()
    cache.client.make_key("key")
    assert cache.client.breaker.is_open
    assert [r.levelname for r in breaker_records(caplog)] == ["WARNING"]


def test_a_refused_command_is_a_miss_but_not_an_outage(redis_server, caplog):
    caplog.set_level(logging.INFO, logger=redis_cache.__name__)
    cache = backend_for(redis_server)
    redis_server.client().lpush(cache.make_key("a-list"), "x")

    assert cache.get("a-list") is None  # WRONGTYPE: ignored as any failed command
    assert not cache.client.breaker.is_open
    assert breaker_records(caplog) == []


def test_connections_give_up_after_the_configured_timeout_without_retrying(redis_server):
    cache = backend_for(redis_server, SOCKET_CONNECT_TIMEOUT=0.3, SOCKET_TIMEOUT=0.4)
    pool = cache.client.get_client().connection_pool
    assert pool.connection_kwargs["socket_connect_timeout"] == 0.3
    assert pool.connection_kwargs["socket_timeout"] == 0.4
    connection = pool.get_connection()
    try:
        assert connection.retry.get_retries() == 0  # no back-off loop inside one call
    finally:
        pool.release(connection)


# What the breaker relies on in django-redis, pinned.


def test_django_redis_default_client_raises_connection_interrupted_from_the_redis_error(
    redis_server,
):
    setting = redis_cache_setting(redis_server.url, "pin")
    client = DefaultClient(setting["LOCATION"], setting, RedisCache(redis_server.url, setting))
    redis_server.stop()
    with pytest.raises(ConnectionInterrupted) as raised:
        client.get("key")
    assert isinstance(raised.value.__cause__, RedisConnectionError)


def test_django_redis_answers_an_interrupted_call_as_a_miss_with_ignore_exceptions(
    redis_server,
):
    cache = backend_for(redis_server)
    redis_server.stop()
    cache.client.breaker.failed(RedisConnectionError("down"))  # every call is skipped
    assert cache.get("key", "default") == "default"
    assert cache.get_many(["key"]) == {}
    assert cache.set("key", "value") is None
    assert cache.incr("key") is None

    strict = backend_for(redis_server, IGNORE_EXCEPTIONS=False)
    with pytest.raises(RedisConnectionError):
        strict.get("key")


def test_a_value_whose_class_a_deploy_moved_reads_as_a_miss(redis_server):
    """A page cached by the release before (its class at its old import path) is rendered
    again, not a 500 on every cached page until Redis is flushed."""
    cache = backend_for(redis_server)
    cache.set("page", "kept")
    written_by_the_release_before = b"capps.shop.page_cache\nPage\n)\x81."
    raw = cache.client.get_client()
    raw.set(cache.client.make_key("page"), written_by_the_release_before)

    assert cache.get("page") is None
    cache.set("page", "rendered again")
    assert cache.get("page") == "rendered again"
