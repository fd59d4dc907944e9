"""Small helpers shared by tests that run servers: ports, waiting, the database's URL,
the shared Redis database of this test process, a Redis server of a test's own."""

import os
import socket
import subprocess
import time
from collections.abc import Callable

import redis
from django.db import connection


def free_port() -> int:
    """A local port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float = 10.0, what: str = "condition"):
    """``condition()``'s first truthy answer, asked every 50 ms for up to ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")


def database_url() -> str:
    """The test database as a DATABASE_URL, for a shop started in another process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def shared_redis_url() -> str:
    """The Redis database this test process may empty: ``TEST_REDIS_URL`` (default
    ``redis://127.0.0.1:6379/15``) when the suite runs in one process; with pytest-xdist,
    worker ``gwN`` counts N databases down from it (gw0 15, gw1 14, gw2 13, ...), so that
    one worker's ``cache.clear()`` (FLUSHDB) never empties another's."""
    url = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    base, _, database = url.rpartition("/")
    number = int(database or 0) - int(worker.removeprefix("gw"))
    if number < 0:
        raise RuntimeError(
            f"TEST_REDIS_URL={url} leaves no Redis database for pytest-xdist worker {worker}: "
            "give it a higher database number or run fewer workers."
        )
    return f"{base}/{number}"


def redis_cache_setting(location: str, key_prefix: str, retry_seconds: float = 5.0) -> dict:
    """``CACHES["default"]`` as the production settings build it from REDIS_URL
    (oscar_shop/settings/base.py), for a test's own Redis and key prefix."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {
            "CLIENT_CLASS": "oscar_shop.redis_cache.CircuitBreakerClient",
            # A value an earlier release wrote with classes since moved reads as a miss.
            "SERIALIZER": "oscar_shop.cache_serializer.ReleaseTolerantPickleSerializer",
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 0.25,
            "SOCKET_TIMEOUT": 0.25,
            "RETRY_SECONDS": retry_seconds,
        },
    }


class RedisServer:
    """A redis-server process of the test's own on a free loopback port (no files written),
    to stop as a crash would and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)

    def start(self) -> "RedisServer":
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(self._answers, what=f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def _answers(self) -> bool:
        try:
            return self.client().ping()
        except redis.ConnectionError:
            return False
