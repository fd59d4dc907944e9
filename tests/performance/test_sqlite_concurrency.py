"""The embedded SQLite default serves concurrent shoppers without "database is locked".

Every product view writes Oscar's analytics counter and every add to the basket writes
the basket and its line. Placing an order and settling a payment read rows and then
write them in one transaction; on SQLite, two such transactions that both started by
reading cannot both write, and the loser fails at once with "database is locked" (the
busy timeout does not help: without the shop's options 148 of 160 such transactions
failed here). The shop's SQLite options (WAL, a busy timeout and transactions that take
the write lock up front) make them wait their turn instead.

The shop runs for real here: ``manage.py runserver`` (threaded) in a subprocess with the
local settings on its own SQLite file, whatever database the rest of the suite uses.
"""

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from django.conf import settings

from tests.helpers import free_port

pytestmark = pytest.mark.slow

CLIENTS = 16
ROUNDS = 5  # each round: a product page, then adding that product to the basket
PRODUCTS = 6

SETUP_SHOP = """
import json
from decimal import Decimal
from django.core.management import call_command
from django.urls import reverse
from oscar.core.loading import get_model

call_command("migrate", interactive=False, verbosity=0)
ProductClass = get_model("catalogue", "ProductClass")
Product = get_model("catalogue", "Product")
Partner = get_model("partner", "Partner")
product_class = ProductClass.objects.create(name="Household", requires_shipping=True)
partner = Partner.objects.create(name="Duka la Nyumbani")
urls = []
for number in range(1, {count} + 1):
    product = Product.objects.create(title=f"Jiko {{number}}", product_class=product_class)
    product.stockrecords.create(
        partner=partner, partner_sku=f"JIKO-{{number}}", price_currency="KES",
        price=Decimal("1250.00"), num_in_stock=100000,
    )
    urls.append([product.get_absolute_url(), reverse("basket:add", kwargs={{"pk": product.pk}})])
print("PRODUCT_URLS=" + json.dumps(urls))
"""


READ_THEN_WRITE = """
import json
import threading
from django.db import connection, transaction
from oscar.core.loading import get_model

StockRecord = get_model("partner", "StockRecord")
record_id = StockRecord.objects.order_by("pk").values_list("pk", flat=True).first()
StockRecord.objects.filter(pk=record_id).update(num_allocated=0)
errors = []
start = threading.Barrier({workers})

def allocate_one_at_a_time():
    start.wait()
    try:
        for _ in range({rounds}):
            try:
                with transaction.atomic():
                    record = StockRecord.objects.select_for_update().get(pk=record_id)
                    record.num_allocated += 1
                    record.save(update_fields=["num_allocated"])
            except Exception as error:
                errors.append(repr(error))
    finally:
        connection.close()

threads = [threading.Thread(target=allocate_one_at_a_time) for _ in range({workers})]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
allocated = StockRecord.objects.get(pk=record_id).num_allocated
print("RESULT=" + json.dumps({{"errors": errors, "allocated": allocated}}))
"""


@dataclass
class EmbeddedShop:
    base_url: str
    database: Path
    log: Path
    product_urls: list[tuple[str, str]]  # (product page, add to basket)
    env: dict[str, str]


@dataclass
class Outcome:
    statuses: Counter = field(default_factory=Counter)
    locked_responses: int = 0

    def record(self, response: requests.Response) -> None:
        self.statuses[response.status_code] += 1
        self.locked_responses += "database is locked" in response.text

    def merge(self, other: "Outcome") -> None:
        self.statuses.update(other.statuses)
        self.locked_responses += other.locked_responses


def embedded_shop_env(workdir: Path, settings_module: str) -> dict[str, str]:
    """The environment of a shop on its own SQLite file, index and media folder."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": f"sqlite:///{workdir / 'shop.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "DJANGO_DEBUG": "true",  # as `make run` serves it
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        # A write per product view, not a batch: the most the SQLite file has to take.
        "SHOP_VIEW_COUNT_FLUSH_SECONDS": "0",
    }


def run_in_shop(env: dict[str, str], code: str, result_marker: str):
    """Run ``code`` in ``manage.py shell`` with the shop's environment; return what it
    printed after ``result_marker``, as JSON."""
    finished = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "shell", "--no-imports", "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout.split(result_marker)[1])


def start_embedded_shop(
    workdir: Path, settings_module: str = "oscar_shop.settings.local"
) -> tuple[EmbeddedShop, subprocess.Popen]:
    env = embedded_shop_env(workdir, settings_module)
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    product_urls = run_in_shop(env, SETUP_SHOP.format(count=PRODUCTS), "PRODUCT_URLS=")

    port = free_port()
    log = workdir / "server.log"
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
        env=env,
        cwd=settings.BASE_DIR,
        stdin=subprocess.DEVNULL,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    shop = EmbeddedShop(
        f"http://127.0.0.1:{port}", workdir / "shop.sqlite3", log, product_urls, env
    )
    deadline = time.monotonic() + 30
    while True:
        assert server.poll() is None, log.read_text()
        try:
            requests.get(shop.base_url + "/", timeout=5)
            return shop, server
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                server.kill()
                raise AssertionError("the shop did not start:\n" + log.read_text()) from None
            time.sleep(0.2)


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def shop_like_a_guest(shop: EmbeddedShop, client_number: int) -> Outcome:
    """A guest who opens product pages and adds each product to the basket."""
    outcome = Outcome()
    session = requests.Session()
    session.trust_env = False  # loopback only, whatever proxy the machine has
    for round_number in range(ROUNDS):
        product_path, add_path = shop.product_urls[
            (client_number + round_number) % len(shop.product_urls)
        ]
        product_url = shop.base_url + product_path
        page = session.get(product_url, timeout=60)
        outcome.record(page)
        if page.status_code != 200:
            continue
        added = session.post(
            shop.base_url + add_path,
            # The product page set the CSRF cookie; its secret is also a valid form token.
            data={"csrfmiddlewaretoken": session.cookies["csrftoken"], "quantity": 1},
            headers={"Referer": product_url},
            allow_redirects=False,
            timeout=60,
        )
        outcome.record(added)
    return outcome


def drive_concurrent_guests(shop: EmbeddedShop) -> Outcome:
    outcome = Outcome()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        for guest in pool.map(shop_like_a_guest, [shop] * CLIENTS, range(CLIENTS)):
            outcome.merge(guest)
    return outcome


@pytest.fixture(scope="module")
def embedded_shop(tmp_path_factory) -> Iterator[EmbeddedShop]:
    shop, server = start_embedded_shop(tmp_path_factory.mktemp("embedded-shop"))
    try:
        yield shop
    finally:
        stop(server)


def test_concurrent_guests_on_the_sqlite_default_get_no_errors(embedded_shop):
    outcome = drive_concurrent_guests(embedded_shop)

    requests_made = CLIENTS * ROUNDS * 2
    assert sum(outcome.statuses.values()) == requests_made
    assert not [status for status in outcome.statuses if status >= 500], outcome.statuses
    assert outcome.locked_responses == 0
    server_log = embedded_shop.log.read_text()
    assert "database is locked" not in server_log
    assert "Internal Server Error" not in server_log

    # Every view was counted and every addition reached a basket: nothing was lost.
    with sqlite3.connect(embedded_shop.database) as database:
        journal_mode = database.execute("PRAGMA journal_mode").fetchone()
        views = database.execute("SELECT SUM(num_views) FROM analytics_productrecord").fetchone()
        in_baskets = database.execute("SELECT SUM(quantity) FROM basket_line").fetchone()
        baskets = database.execute("SELECT COUNT(*) FROM basket_basket").fetchone()
    assert views == (CLIENTS * ROUNDS,)
    assert in_baskets == (CLIENTS * ROUNDS,)
    assert baskets == (CLIENTS,)
    # The shop's connection options took effect: readers no longer wait for writers.
    assert journal_mode == ("wal",)


def test_read_then_write_transactions_on_the_sqlite_default_take_turns(embedded_shop):
    """Placing an order and settling a payment read rows, then write them, in one
    transaction, under ``select_for_update`` (a no-op on SQLite). Transactions that take
    the write lock up front make them wait their turn: none fails, no update is lost."""
    rounds = 10
    result = run_in_shop(
        embedded_shop.env, READ_THEN_WRITE.format(workers=CLIENTS, rounds=rounds), "RESULT="
    )

    assert result["errors"] == []
    assert result["allocated"] == CLIENTS * rounds


def test_missing_image_link_is_made_before_any_request_and_tolerates_a_race(tmp_path, settings):
    """Oscar links it on the first page showing a product without an image; concurrent
    first requests raced for it and one answered 500."""
    from apps.catalogue.images import ensure_missing_image_link

    settings.MEDIA_ROOT = str(tmp_path)
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(lambda _: ensure_missing_image_link(), range(CLIENTS)))

    link = tmp_path / settings.OSCAR_MISSING_IMAGE_URL
    assert link.is_symlink()
    assert link.read_bytes()[:2] == b"\xff\xd8"  # Oscar's JPEG
