"""Each worker process knows the catalogue version without asking Redis, and never a stale
one: bumps arrive by subscription, anything doubtful is read again (apps/shop/version_watch.py).
Against the real Redis (TEST_REDIS_URL; CI starts it); bumps from other processes are made
by real other processes."""

import logging
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

from apps.shop.version_watch import VersionWatch

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
START = time.time_ns()  # as the shop starts a version: beyond what a Lua number holds


@pytest.fixture
def key():
    name = f"test-version-{uuid.uuid4().hex}"
    yield name
    redis.Redis.from_url(REDIS_URL).delete(name)


def new_watch(key: str, url: str = REDIS_URL, recheck: float = 60.0) -> VersionWatch:
    return VersionWatch(redis.Redis.from_url(url), key, recheck)


def bump_in_another_process(key: str, url: str = REDIS_URL) -> int:
    """What the dashboard's worker does when staff change the catalogue."""
    code = (
        "import sys, time, redis\n"
        "from apps.shop.version_watch import VersionWatch\n"
        "watch = VersionWatch(redis.Redis.from_url(sys.argv[1]), sys.argv[2], 60)\n"
        "print(watch.bump(start=time.time_ns()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, url, key],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def read_and_check(watch: VersionWatch) -> int | None:
    """What apps.shop.cache does when the watch does not know: read Redis, hand it over."""
    version, generation = watch.known()
    if version is None:
        version = int(watch.client.get(watch.key))
        watch.checked(version, generation)
    return version


def test_a_bump_in_another_process_is_known_at_once_without_reading_redis(key):
    redis.Redis.from_url(REDIS_URL).set(key, START)
    watch = new_watch(key)
    assert watch.known()[0] is None  # nothing known before a first read
    assert read_and_check(watch) == START
    assert watch.known()[0] == START

    bumped = bump_in_another_process(key)

    assert bumped == START + 1  # exact, though far beyond 2**53
    assert watch.known()[0] == bumped  # no read of Redis: the subscription told it


def test_bumps_in_a_row_are_all_heard_in_order(key):
    redis.Redis.from_url(REDIS_URL).set(key, START)
    watch = new_watch(key)
    read_and_check(watch)
    other = new_watch(key)

    values = [other.bump(start=0) for _ in range(20)]

    assert values == [START + n for n in range(1, 21)]
    assert watch.known()[0] == values[-1]


def test_a_process_bumping_knows_its_own_bump_at_once(key):
    redis.Redis.from_url(REDIS_URL).set(key, START)
    watch = new_watch(key)
    read_and_check(watch)

    value = watch.bump(start=0)

    assert value == START + 1
    assert watch.known()[0] == value


def test_a_lost_version_starts_again_from_the_given_start(key):
    watch = new_watch(key)
    later = time.time_ns()

    value = watch.bump(start=later)

    assert value == later + 1
    assert int(redis.Redis.from_url(REDIS_URL).get(key)) == later + 1


def test_a_read_made_while_a_bump_arrived_is_not_taken(key):
    client = redis.Redis.from_url(REDIS_URL)
    client.set(key, START)
    watch = new_watch(key)
    read_and_check(watch)
    version, generation = watch.known()
    stale_read = int(client.get(key))  # read before the bump...

    bump_in_another_process(key)
    assert watch.known()[0] == START + 1  # ...the bump arrives meanwhile...
    watch.checked(stale_read, generation)  # ...and the stale read comes back late

    assert watch.known()[0] == START + 1


def test_the_version_is_read_again_after_the_recheck_interval(key):
    redis.Redis.from_url(REDIS_URL).set(key, START)
    watch = new_watch(key, recheck=0.2)
    read_and_check(watch)
    assert watch.known()[0] == START

    time.sleep(0.3)

    assert watch.known()[0] is None  # a silent subscription can cost at most this long
    assert read_and_check(watch) == START
    assert watch.known()[0] == START


def test_after_losing_its_subscription_a_process_reads_redis_and_misses_no_bump(key):
    client = redis.Redis.from_url(REDIS_URL)
    client.set(key, START)
    watch = new_watch(key)
    read_and_check(watch)
    host, port = watch._pubsub.connection._sock.getsockname()[:2]

    assert client.client_kill_filter(addr=f"{host}:{port}") == 1
    bumped = bump_in_another_process(key)  # made while nobody listened for this process

    deadline = time.monotonic() + 5
    while watch.known()[0] is None:  # reading Redis until subscribed again (about 1 s)
        assert read_and_check(watch) == bumped  # never the version from before
        assert time.monotonic() < deadline, "not subscribed again"
        time.sleep(0.02)
    assert watch.known()[0] == bumped
    assert bump_in_another_process(key) == bumped + 1
    assert watch.known()[0] == bumped + 1


def test_without_redis_nothing_is_known_and_nothing_fails():
    watch = new_watch("test-version-nowhere", url="redis://127.0.0.1:1/0")

    assert watch.known()[0] is None
    assert watch.known()[0] is None  # and it does not retry on every request


def test_shops_on_other_redis_databases_do_not_hear_each_others_bumps(key):
    other_db = REDIS_URL.rsplit("/", 1)[0] + "/14"
    for url in (REDIS_URL, other_db):
        redis.Redis.from_url(url).set(key, START)
    watch = new_watch(key)
    read_and_check(watch)

    bump_in_another_process(key, url=other_db)
    redis.Redis.from_url(other_db).delete(key)

    assert watch.known()[0] == START


def test_a_forked_worker_does_not_use_the_parents_subscription(key):
    redis.Redis.from_url(REDIS_URL).set(key, START)
    watch = new_watch(key)
    read_and_check(watch)  # the parent subscribed, as a preloading master could
    read_end, write_end = os.pipe()

    pid = os.fork()
    if pid == 0:  # the worker
        try:
            first = watch.known()[0]
            read_and_check(watch)
            os.write(write_end, f"{first} {watch._pubsub is not None}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    child_first, child_subscribed = os.read(read_end, 100).decode().split()
    os.close(read_end)

    assert child_first == "None"  # read afresh, not taken from the parent's memory
    assert child_subscribed == "True"  # with its own subscription
    bumped = bump_in_another_process(key)
    assert watch.known()[0] == bumped  # the parent's subscription still works


def test_a_redis_refusing_subscriptions_is_read_instead_and_asked_less_and_less(
    key, caplog, monkeypatch
):
    """A managed Redis may forbid SUBSCRIBE: the version is then read on every request, the
    refusal is logged once, and the subscription is tried again less and less often."""
    admin = redis.Redis.from_url(REDIS_URL)
    user = f"test-nosub-{uuid.uuid4().hex[:8]}"
    admin.acl_setuser(
        user,
        enabled=True,
        nopass=True,
        keys=["*"],
        channels=["*"],
        categories=["+@all"],
        commands=["-subscribe"],
    )
    clock = [1000.0]
    monkeypatch.setattr("apps.shop.version_watch.time.monotonic", lambda: clock[0])
    try:
        admin.set(key, START)
        watch = new_watch(key, url=REDIS_URL.replace("redis://", f"redis://{user}@"))
        with caplog.at_level(logging.DEBUG, logger="apps.shop.version_watch"):
            for _ in range(16):  # a request a second for 16 seconds
                assert read_and_check(watch) == START
                assert watch.known()[0] is None
                clock[0] += 1.0
    finally:
        admin.acl_deluser(user)

    tries = [r for r in caplog.records if "Cannot subscribe" in r.getMessage()]
    # Tried at 0, 1, 3, 7 and 15 s, not every second; said once.
    assert [r.levelno for r in tries] == [logging.WARNING] + [logging.DEBUG] * 4
    assert "no permissions" in tries[0].getMessage()
