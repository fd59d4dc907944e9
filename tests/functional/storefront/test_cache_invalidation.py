"""Every way the catalogue is written shows on the next anonymous view of a page the cache
already holds, because the database itself advances the catalogue version
(apps/storefront/triggers.py, version.py); selling keeps the pages it does not change.

Each test first serves a page from the cache (a hit), then changes the catalogue the way
that write path does — Oscar's dashboard bulk actions, ``QuerySet.update``, raw SQL from
another connection, ``oscar_import_catalogue``, another process — and reads the page again.
"""

import os
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from oscar.core.loading import get_model

from apps.payment.models import MpesaPaymentAttempt
from apps.storefront import version as storefront_version
from apps.storefront.page_cache import STATUS_HEADER
from tests.functional.checkout.conftest import (
    daraja_simulator,  # noqa: F401  (shared fixture)
    place_order_and_pay,
    to_payment_details,
    wait_for_attempt,
)
from tests.helpers import database_url

ConditionalOffer = get_model("offer", "ConditionalOffer")
Condition = get_model("offer", "Condition")
Benefit = get_model("offer", "Benefit")
Order = get_model("order", "Order")
Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.django_db


def view(url: str, status: int = 200):
    """``url`` as a new anonymous shopper gets it."""
    response = Client().get(url)
    assert response.status_code == status, (url, response.status_code)
    return response


def cache_state(response) -> str:
    return response.get(STATUS_HEADER, "")


def cached(*urls: str) -> None:
    """Each page stored, then served from the cache."""
    for url in urls:
        view(url)
        assert cache_state(view(url)) == "hit", url


def shillings(amount: str) -> str:
    return f"KSh\xa0{amount}"


def card(catalogue_page, product) -> str:
    """The product's card on a listing page."""
    cards = catalogue_page.content.decode().split('<article class="product_pod')[1:]
    found = [c.split("</article>")[0] for c in cards if product.get_absolute_url() in c]
    assert len(found) == 1, f"no card for {product.title}"
    return found[0]


@pytest.fixture
def boss(db):
    return get_user_model().objects.create_user(
        username="boss", email="boss@duka.example", password="pw", is_staff=True, is_superuser=True
    )


# --- Oscar's dashboard bulk actions (QuerySet.update, no signals) -------------------------


def start_bulk_action(django_app, boss, action: str, *products):
    """Tick ``products`` on the dashboard's product list and choose ``action``: Oscar asks
    on an intermediate page before it acts."""
    listing = django_app.get("/dashboard/catalogue/", user=boss)
    form = next(f for f in listing.forms.values() if "action" in f.fields)
    wanted = {str(product.pk) for product in products}
    for box in form.fields["selected_product"]:
        box.checked = box._value in wanted
    form["action"] = action
    confirmation = form.submit().follow()
    assert confirmation.request.path == "/dashboard/catalogue/products/bulk-action/"
    return next(f for f in confirmation.forms.values() if "selected_products" in f.fields)


def test_making_a_product_non_public_in_the_dashboard_takes_it_off_cached_pages(
    django_app, boss, search_index
):
    kettle, sufuria = search_index.kettle, search_index.sufuria
    cached(kettle.get_absolute_url(), "/catalogue/")
    assert kettle.title in view("/catalogue/").content.decode()

    form = start_bulk_action(django_app, boss, "make_products_non_public", kettle)
    done = form.submit().follow()
    assert "non-public for 1 product" in done

    assert not Product.objects.get(pk=kettle.pk).is_public
    view(kettle.get_absolute_url(), status=404)
    listing = view("/catalogue/")
    assert cache_state(listing) == "miss"
    assert kettle.title not in listing.content.decode()
    assert sufuria.title in listing.content.decode()


def test_a_bulk_price_update_in_the_dashboard_shows_on_cached_pages(django_app, boss, search_index):
    kettle = search_index.kettle
    cached(kettle.get_absolute_url(), "/catalogue/")
    assert shillings("2,650") in card(view("/catalogue/"), kettle)

    form = start_bulk_action(django_app, boss, "set_product_price", kettle)
    form["new_price"] = "2999.00"
    if "confirm" in form.fields:  # "this cannot be undone"
        form["confirm"] = True
    done = form.submit().follow()
    assert "Price updated on 1 stockrecord" in done

    product_page = view(kettle.get_absolute_url()).content.decode()
    assert shillings("2,999") in product_page and shillings("2,650") not in product_page
    assert shillings("2,999") in card(view("/catalogue/"), kettle)


# --- Writes that bypass save() ------------------------------------------------------------


def test_a_price_changed_with_queryset_update_shows_on_the_cached_listing(search_index):
    kettle = search_index.kettle
    cached("/catalogue/", kettle.get_absolute_url())

    StockRecord.objects.filter(product=kettle).update(price=Decimal("2450.00"))

    assert shillings("2,450") in card(view("/catalogue/"), kettle)
    assert shillings("2,450") in view(kettle.get_absolute_url()).content.decode()


def other_connection():
    """A connection of another program's own to the shop's database."""
    if connection.vendor == "postgresql":
        import psycopg2

        return psycopg2.connect(database_url())
    import sqlite3

    return sqlite3.connect(connection.settings_dict["NAME"])


@pytest.mark.django_db(transaction=True)
def test_a_title_changed_by_raw_sql_from_another_connection_shows_on_cached_pages(
    search_index,
):
    kettle = search_index.kettle
    cached("/catalogue/", kettle.get_absolute_url())

    other = other_connection()
    with other:
        other.cursor().execute(
            f"UPDATE catalogue_product SET title = 'Kettle ya umeme' WHERE id = {int(kettle.pk)}"
        )
    other.close()

    # The product page's stock is unchanged: only the version can tell it.
    for url in ("/catalogue/", kettle.get_absolute_url()):
        response = view(url)
        assert cache_state(response) == "miss", url
        assert "Kettle ya umeme" in response.content.decode(), url


def test_a_price_imported_with_oscar_import_catalogue_shows_on_cached_pages(search_index, tmp_path):
    kettle = search_index.kettle
    Product.objects.filter(pk=kettle.pk).update(upc="KE-KETTLE")
    stockrecord = kettle.stockrecords.get()
    cached("/catalogue/", kettle.get_absolute_url())
    # Oscar's importer's rows: class, category, UPC, title, description, partner, SKU,
    # price, stock.
    csv = tmp_path / "prices.csv"
    csv.write_text(
        f"Household,Kitchen,KE-KETTLE,{kettle.title},Boils 1.7 litres,"
        f"{stockrecord.partner.name},{stockrecord.partner_sku},2350.00,3\n"
    )

    call_command("oscar_import_catalogue", str(csv), verbosity=0)

    assert shillings("2,350") in card(view("/catalogue/"), kettle)
    assert "Boils 1.7 litres" in view(kettle.get_absolute_url()).content.decode()


# --- Another process, within the staleness bound -----------------------------------------


def change_in_another_process(python: str) -> None:
    """Run ``python`` in a shell of the shop started as a process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | {
        "DJANGO_SETTINGS_MODULE": "oscar_shop.settings.test",
        "DATABASE_URL": database_url(),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", python],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.django_db(transaction=True)
def test_a_change_made_by_another_process_shows_here_within_the_staleness_bound(
    search_index, settings
):
    kettle = search_index.kettle
    url = kettle.get_absolute_url()
    settings.SHOP_CACHE_STALENESS_SECONDS = 3600
    storefront_version.forget()
    cached(url)  # and this process now knows the version

    change_in_another_process(
        "from oscar.core.loading import get_model; "
        "Product = get_model('catalogue', 'Product'); "
        f"Product.objects.filter(pk={kettle.pk}).update(title='Kettle ya umeme')"
    )

    # Until the bound has passed this process serves what it knows: the page kept.
    stale = view(url)
    assert cache_state(stale) == "hit"
    assert "Kettle ya umeme" not in stale.content.decode()

    settings.SHOP_CACHE_STALENESS_SECONDS = 1
    deadline = time.monotonic() + 1 + 2  # the bound, and slack for a busy machine
    while "Kettle ya umeme" not in view(url).content.decode():
        assert time.monotonic() < deadline, "the change did not show within the bound"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_product_renamed_by_another_process_is_searched_by_its_new_name(search_index):
    """Search reads the catalogue tables: no index on this machine to update, the answer
    cached here is dropped with the catalogue version the other process's write advanced."""
    kettle = search_index.kettle
    assert "Kettle ya umeme" not in view("/search/?q=umeme").content.decode()
    storefront_version.forget()

    change_in_another_process(
        "from oscar.core.loading import get_model; "
        "Product = get_model('catalogue', 'Product'); "
        f"Product.objects.filter(pk={kettle.pk}).update(title='Kettle ya umeme')"
    )

    deadline = time.monotonic() + 1 + 2  # the staleness bound, and slack
    while "Kettle ya umeme" not in view("/search/?q=umeme").content.decode():
        assert time.monotonic() < deadline, "the other process's change was not searched"
        time.sleep(0.05)


# --- An offer starting on time, with no write --------------------------------------------


def test_an_offer_starting_on_time_makes_cached_pages_render_again(search_index, monkeypatch):
    kettle = search_index.kettle
    start = timezone.now() + timedelta(hours=1)
    ConditionalOffer.objects.create(
        name="Kettle week",
        offer_type=ConditionalOffer.SITE,
        start_datetime=start,
        condition=Condition.objects.create(type="Count", value=1),
        benefit=Benefit.objects.create(type="Percentage", value=10),
    )
    cached("/catalogue/", kettle.get_absolute_url())

    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(seconds=1))

    for url in ("/catalogue/", kettle.get_absolute_url()):
        assert cache_state(view(url)) == "miss", url


# --- Selling keeps the pages it does not change -------------------------------------------


def test_allocating_and_cancelling_stock_keeps_unrelated_cached_pages(search_index):
    sufuria, kettle = search_index.sufuria, search_index.kettle
    pages = ["/", "/catalogue/", sufuria.get_absolute_url(), kettle.get_absolute_url()]
    cached(*pages)
    stockrecord = StockRecord.objects.get(product=sufuria)

    stockrecord.allocate(2)  # as placing an order does
    assert_only_the_product_page_renders_again(pages, sufuria, "In stock (8 available)")

    stockrecord.cancel_allocation(2)  # as cancelling it does
    assert_only_the_product_page_renders_again(pages, sufuria, "In stock (10 available)")

    stockrecord.allocate(10)  # sold out: its card says so
    listing = view("/catalogue/")
    assert cache_state(listing) == "miss"
    assert "Unavailable" in card(listing, sufuria)
    assert "Unavailable" not in card(listing, kettle)


def assert_only_the_product_page_renders_again(pages, product, available: str) -> None:
    for url in pages:
        response = view(url)
        if url == product.get_absolute_url():
            assert cache_state(response) == "miss", url
            assert available in response.content.decode()
        else:
            assert cache_state(response) == "hit", url


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("daraja_simulator")
def test_a_guest_checkout_paid_with_m_pesa_keeps_unrelated_cached_pages(django_app, search_index):
    sufuria, kettle = search_index.sufuria, search_index.kettle
    pages = ["/", "/catalogue/", sufuria.get_absolute_url(), kettle.get_absolute_url()]
    cached(*pages)

    payment_page = to_payment_details(django_app, sufuria)
    waiting = place_order_and_pay(django_app, payment_page)
    order = Order.objects.get()
    wait_for_attempt(order.number, MpesaPaymentAttempt.Status.SUCCEEDED)
    assert waiting.status_code == 302

    assert_only_the_product_page_renders_again(pages, sufuria, "In stock (9 available)")
