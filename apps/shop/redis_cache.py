"""Django's Redis cache backend, reusing one Redis client object per connection pool.

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` for every cache call; the
connections come from a shared pool, but building the client (its table of response
callbacks) was a fifth of a listing page's CPU time with a card fragment per product.
A ``redis.Redis`` is safe to share between threads (each command borrows a connection
from the pool), so one per pool is enough.

The backend also gives each process one ``VersionWatch`` per version key (the catalogue
version): the number known without a round trip, kept current by subscription.
"""

import threading

from django.core.cache.backends import redis as django_redis

from apps.shop.version_watch import VersionWatch


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._clients_lock = threading.Lock()

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            with self._clients_lock:
                client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def version_watch(self, key: str, recheck_seconds: float) -> VersionWatch:
        """The process's watch on the number kept under ``key`` (apps/shop/version_watch.py):
        one per Redis server and key, shared by the process's threads (each thread has its
        own cache backend object)."""
        full_key = self.make_and_validate_key(key)
        ident = (tuple(self._servers), full_key)
        watch = _watches.get(ident)
        if watch is None:
            with _watches_lock:
                watch = _watches.get(ident)
                if watch is None:
                    client = self._cache.get_client(full_key, write=True)
                    watch = _watches[ident] = VersionWatch(client, full_key, recheck_seconds)
        return watch


_watches: dict[tuple, VersionWatch] = {}
_watches_lock = threading.Lock()
