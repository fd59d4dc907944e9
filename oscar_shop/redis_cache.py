"""Redis as a cache the shop can lose: django-redis's client behind a circuit breaker.

The production cache is django-redis (``django_redis.cache.RedisCache``) with
``IGNORE_EXCEPTIONS``: a Redis command that fails reads as a miss and a write that fails
is dropped, so every page still renders (from the database) while Redis is unreachable.
On its own that costs each cache call a connect timeout and logs nothing, or with
``DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS`` a traceback per call.

``CircuitBreakerClient`` is the ``CLIENT_CLASS`` (django-redis's pluggable client) that
wraps its ``DefaultClient``: after a failed connection it skips Redis altogether for
``RETRY_SECONDS``, then lets one call try again; it logs once when Redis goes away and
once when it answers again, and the cache resumes by itself. A skipped call raises the
same ``ConnectionInterrupted`` the default client raises for a failed one, so the backend
answers it as it answers any failure (``IGNORE_EXCEPTIONS`` must be on). Each process has
one breaker per Redis location, shared by its threads (Django gives each thread its own
cache backend and client).

The one answer that differs from a plain miss is ``add``: while Redis cannot be reached it
answers True (stored), because the shop uses ``add`` as a short lock or a courtesy
spacing (the Daraja token fetch, staff test prompts), and a lock that nobody can hold
must not make every caller wait for a holder that does not exist. Nothing in the shop
relies on ``add`` to do anything only once; money and limits live in the database.

Relies on django-redis's documented pluggable-client interface (the constructor's
``server, params, backend``; commands raising ``ConnectionInterrupted`` from the redis-py
error) and on its ``IGNORE_EXCEPTIONS`` handling; tests/integration/oscar_shop pins both
against a real Redis that it stops and starts again.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from time import monotonic
from typing import Any
from urllib.parse import urlsplit

from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

#: How long, by default, Redis is left alone after a failed connection (seconds).
DEFAULT_RETRY_SECONDS = 5.0

#: Failures that mean Redis cannot be reached, as opposed to a refused command.
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, socket.timeout, OSError)

#: The client's methods that send a command and wait for Redis's answer (Django's cache
#: API and django-redis's key commands): these are skipped while Redis is down, and one
#: that answers closes the breaker. The others pass straight through: some never talk to
#: Redis (``close``, ``make_key``, ``get_client``), some only build an object that talks
#: later (``lock``, ``iter_keys``), so their success says nothing about Redis.
GUARDED_COMMANDS = frozenset(
    {
        "get", "get_many", "set", "set_many", "add", "delete", "delete_many",
        "delete_pattern", "has_key", "incr", "decr", "incr_version", "touch", "clear",
        "keys", "ttl", "pttl", "expire", "expire_at", "pexpire", "pexpire_at", "persist",
    }
)  # fmt: skip


def describe_location(server: str) -> str:
    """``host:port/db`` of a Redis URL, without its credentials (for logs)."""
    parts = urlsplit(server)
    return f"{parts.hostname}:{parts.port or 6379}{parts.path or ''}" if parts.hostname else server


class Breaker:
    """Whether to try a Redis location now: closed while it answers; open for
    ``retry_seconds`` after a failed connection, then one call is let through to try again."""

    def __init__(self, location: str, retry_seconds: float) -> None:
        self.location = location
        self.retry_seconds = retry_seconds
        self.down_since: float | None = None
        self._retry_at = 0.0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self.down_since is not None

    def allows_attempt(self) -> bool:
        if self.down_since is None:
            return True
        with self._lock:
            if self.down_since is None:
                return True
            now = monotonic()
            if now < self._retry_at:
                return False
            self._retry_at = now + self.retry_seconds  # one trial call per interval
            return True

    def failed(self, error: BaseException) -> None:
        with self._lock:
            now = monotonic()
            self._retry_at = now + self.retry_seconds
            if self.down_since is not None:
                return
            self.down_since = now
        logger.warning(
            "Redis at %s unreachable (%s: %s): pages are served without the cache, "
            "trying again every %g s",
            self.location,
            type(error).__name__,
            error,
            self.retry_seconds,
        )

    def succeeded(self) -> None:
        if self.down_since is None:
            return
        with self._lock:
            if self.down_since is None:
                return
            down_for = monotonic() - self.down_since
            self.down_since = None
        logger.info(
            "Redis at %s answers again after %.1f s: caching resumed", self.location, down_for
        )


_breakers: dict[tuple[str, float], Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(
    server: str | list | tuple, retry_seconds: float = DEFAULT_RETRY_SECONDS
) -> Breaker:
    """The process's breaker for a cache ``LOCATION`` (one or several URLs)."""
    location = server if isinstance(server, str) else ",".join(server)
    key = (location, float(retry_seconds))
    breaker = _breakers.get(key)
    if breaker is None:
        with _breakers_lock:
            breaker = _breakers.setdefault(
                key, Breaker(",".join(map(describe_location, location.split(","))), retry_seconds)
            )
    return breaker


class CircuitBreakerClient:
    """django-redis ``CLIENT_CLASS``: its ``DefaultClient``, whose commands are skipped
    while Redis is down (``GUARDED_COMMANDS``).

    Takes one option of its own, ``RETRY_SECONDS`` (how long to leave Redis alone after a
    failed connection); everything else is the default client's.
    """

    def __init__(self, server: Any, params: dict[str, Any], backend: Any) -> None:
        options = params.get("OPTIONS", {})
        self.breaker = breaker_for(server, options.get("RETRY_SECONDS", DEFAULT_RETRY_SECONDS))
        self.default_client = DefaultClient(server, params, backend)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.default_client, name)
        if name not in GUARDED_COMMANDS:
            return attribute
        return lambda *args, **kwargs: self._call(attribute, args, kwargs)

    def _call(self, command: Callable, args: tuple, kwargs: dict) -> Any:
        if not self.breaker.allows_attempt():
            raise ConnectionInterrupted(connection=None) from RedisConnectionError(
                f"Redis at {self.breaker.location} skipped: unreachable lately"
            )
        try:
            result = command(*args, **kwargs)
        except ConnectionInterrupted as interrupted:
            if isinstance(interrupted.__cause__, OUTAGE_ERRORS):
                self.breaker.failed(interrupted.__cause__)
            raise
        self.breaker.succeeded()
        return result

    def add(self, *args: Any, **kwargs: Any) -> bool:
        """Stored if absent; True while Redis is unreachable (see the module's docstring)."""
        try:
            return self._call(self.default_client.add, args, kwargs)
        except ConnectionInterrupted as interrupted:
            if self.breaker.is_open and isinstance(interrupted.__cause__, OUTAGE_ERRORS):
                return True
            raise
