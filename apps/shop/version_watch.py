"""A version number kept in Redis that each worker process knows without asking.

Every storefront request checks the catalogue version (``apps.shop.cache``): a cached
page or fragment is good only for the version it was made for. Read from Redis, that
check was a round trip on every request, most of what a cached page cost. Instead, each
process subscribes to the version's own channel, and a bump is one Lua script that
increments the number and publishes the new value, so every subscriber gets the bumps
in order. A request drains what its process's subscription has received (a look at the
socket, no round trip) and takes the last value as current.

What the process knows is used only while it can be trusted:

* until the subscription is confirmed, and again each time it is (re)made (redis-py
  resubscribes by itself after a lost connection), the value is read from Redis;
* if the subscription fails, every request reads from Redis until it is made again;
* every ``recheck_seconds`` the value is read from Redis anyway, so a subscription that
  silently stopped delivering (a peer gone without a word) costs at most that long.

A read from Redis is taken only if no message arrived while it was made; otherwise the
message, which is as new or newer, stands.
"""

import logging
import os
import threading
import time

import redis

logger = logging.getLogger(__name__)

# KEYS[1]: the version; ARGV[1]: the channel; ARGV[2]: where a lost version starts again
# (the clock, so a new life never reuses a number an old one had). The new value is read
# back as text: Lua's numbers are doubles, exact only up to 2**53, and versions that
# start from the clock in nanoseconds are larger.
BUMP_AND_PUBLISH = """
if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('SET', KEYS[1], ARGV[2])
end
redis.call('INCR', KEYS[1])
local value = redis.call('GET', KEYS[1])
redis.call('PUBLISH', ARGV[1], value)
return value
"""
RESUBSCRIBE_AFTER_SECONDS = 1.0  # doubled after each failure in a row, up to:
RESUBSCRIBE_AFTER_SECONDS_AT_MOST = 60.0
SUBSCRIBE_TIMEOUT_SECONDS = 2.0


class VersionWatch:
    def __init__(self, client: redis.Redis, key: str, recheck_seconds: float) -> None:
        self.client = client
        self.key = key
        # Pub/sub ignores the database number: the channel carries it, so two shops on one
        # Redis (or the bench's two databases) never hear each other's bumps.
        db = client.connection_pool.connection_kwargs.get("db", 0)
        self.channel = f"{key}@db{db}"
        self.recheck_seconds = recheck_seconds
        self._bump_script = client.register_script(BUMP_AND_PUBLISH)
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._pubsub = None
        self._value: int | None = None
        self._checked_at = float("-inf")
        self._retry_at = float("-inf")
        self._failures = 0  # subscriptions refused or lost in a row
        #: Counts messages and (re)subscriptions: a read from Redis made across a change
        #: of it is not taken.
        self.generation = 0

    def known(self) -> tuple[int | None, int]:
        """The version as this process knows it, or ``None`` when it must be read from
        Redis (then hand the read to ``checked`` with the generation returned here)."""
        with self._lock:
            if not self._drain():
                return None, self.generation
            if self._value is None or time.monotonic() - self._checked_at > self.recheck_seconds:
                return None, self.generation
            return self._value, self.generation

    def checked(self, value: int, generation: int) -> None:
        """``value`` was read from Redis after ``known`` returned ``generation``."""
        with self._lock:
            if generation == self.generation:
                self._value = value
                self._checked_at = time.monotonic()

    def bump(self, start: int) -> int:
        """Increment the version (from ``start`` if Redis lost it) and tell every process."""
        with self._lock:
            self._drain()
            generation = self.generation
        value = int(self._bump_script(keys=[self.key], args=[self.channel, start]))
        # Known here at once; its message, on its way, says the same.
        self.checked(value, generation)
        return value

    def _drain(self) -> bool:
        """Apply what the subscription has received; False without a working one."""
        if self._pid != os.getpid():  # a forked worker: the parent's socket is not ours
            self._pid, self._pubsub, self._value = os.getpid(), None, None
            self.generation += 1
        if self._pubsub is None and not self._subscribe():
            return False
        try:
            while (message := self._pubsub.get_message(timeout=0)) is not None:
                self.generation += 1
                if message["type"] == "message":
                    self._value = int(message["data"])
                elif message["type"] == "subscribe":
                    # Subscribed again by redis-py after a lost connection: bumps made
                    # meanwhile were missed.
                    self._value = None
        except (redis.RedisError, OSError, ValueError) as error:
            logger.warning("Catalogue version subscription lost (%s); reading Redis", error)
            self._drop()
            return False
        return True

    def _subscribe(self) -> bool:
        now = time.monotonic()
        if now < self._retry_at:
            return False
        pubsub = self.client.pubsub()
        try:
            pubsub.subscribe(self.channel)
            # Bumps are heard from the confirmation on: wait for it, so that the read
            # which follows is the last one needed.
            deadline = now + SUBSCRIBE_TIMEOUT_SECONDS
            while (left := deadline - time.monotonic()) > 0:
                message = pubsub.get_message(timeout=left)
                if message is not None and message["type"] == "subscribe":
                    break
            else:
                raise redis.TimeoutError("no confirmation")
        except (redis.RedisError, OSError) as error:
            # Said once per run of failures (a Redis refusing SUBSCRIBE refuses it always).
            log = logger.warning if self._failures == 0 else logger.debug
            log("Cannot subscribe to the catalogue version (%s); reading Redis", error)
            self._failed()
            pubsub.close()
            return False
        self._pubsub, self._value, self._failures = pubsub, None, 0
        self.generation += 1
        return True

    def _failed(self) -> None:
        delay = RESUBSCRIBE_AFTER_SECONDS * 2**self._failures
        self._retry_at = time.monotonic() + min(delay, RESUBSCRIBE_AFTER_SECONDS_AT_MOST)
        self._failures += 1

    def _drop(self) -> None:
        pubsub, self._pubsub, self._value = self._pubsub, None, None
        self.generation += 1
        self._failed()
        if pubsub is not None:
            try:
                pubsub.close()
            except (redis.RedisError, OSError):
                pass
