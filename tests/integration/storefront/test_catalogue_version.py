"""The database advances the catalogue version on every write shoppers could see, however
it is made, and not on selling (apps/storefront/triggers.py, version.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from oscar.core.loading import get_model
from oscar.test.factories import create_product

from apps.storefront import version as storefront_version
from apps.storefront.models import CatalogueVersion
from apps.storefront.version import read_catalogue_version
from tests.helpers import database_url

Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Category = get_model("catalogue", "Category")

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    product = create_product(title="Jiko", price=Decimal("1500.00"), num_in_stock=10)
    return product


def changes(write) -> bool:
    before = read_catalogue_version()
    write()
    return read_catalogue_version() != before


def test_save_update_bulk_create_delete_and_raw_sql_each_advance_it(product):
    assert changes(lambda: product.save())
    assert changes(lambda: Product.objects.filter(pk=product.pk).update(is_public=False))
    assert changes(lambda: StockRecord.objects.update(price=Decimal("1400.00")))
    assert changes(lambda: Category.objects.add_root({"name": "Jikoni"}))
    assert changes(
        lambda: Product.objects.bulk_create(
            [Product(title="Sufuria", slug="sufuria", product_class=product.product_class)]
        )
    )

    def raw_sql():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE catalogue_product SET title = 'Jiko la mkaa'")

    assert changes(raw_sql)
    assert changes(lambda: Product.objects.filter(slug="sufuria").delete())


def test_selling_advances_it_only_when_availability_flips(product):
    stockrecord = product.stockrecords.get()

    assert not changes(lambda: stockrecord.allocate(3))  # "In stock" stays "In stock"
    assert not changes(lambda: stockrecord.consume_allocation(2))
    assert not changes(lambda: stockrecord.cancel_allocation(1))
    stockrecord.refresh_from_db()
    left = stockrecord.net_stock_level
    assert changes(lambda: stockrecord.allocate(left))  # now "Unavailable"
    assert changes(lambda: stockrecord.cancel_allocation(1))  # in stock again


def test_an_offers_usage_counts_do_not_advance_it_but_its_status_does(product):
    offer = ConditionalOffer.objects.create(
        name="Jiko week",
        offer_type=ConditionalOffer.SITE,
        condition=get_model("offer", "Condition").objects.create(type="Count", value=1),
        benefit=get_model("offer", "Benefit").objects.create(type="Percentage", value=10),
    )

    assert not changes(lambda: offer.record_usage({"discount": Decimal("150.00"), "freq": 1}))
    assert changes(lambda: offer.suspend())


def test_an_offer_starting_or_ending_on_time_is_a_change_with_no_write(product, monkeypatch):
    start = timezone.now() + timedelta(hours=1)
    ConditionalOffer.objects.create(
        name="Starts later",
        offer_type=ConditionalOffer.SITE,
        start_datetime=start,
        end_datetime=start + timedelta(hours=1),
        condition=get_model("offer", "Condition").objects.create(type="Count", value=1),
        benefit=get_model("offer", "Benefit").objects.create(type="Percentage", value=10),
    )
    before = read_catalogue_version()

    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(seconds=1))
    started = read_catalogue_version()
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(hours=2))
    ended = read_catalogue_version()

    assert len({before, started, ended}) == 3


def test_each_process_reads_it_at_most_once_per_staleness_bound(
    product, settings, django_assert_num_queries
):
    settings.SHOP_CACHE_STALENESS_SECONDS = 3600
    storefront_version.forget()
    with django_assert_num_queries(1):
        first = storefront_version.catalogue_version()
    Product.objects.update(title="Jiko jipya")  # the database moves on ...
    with django_assert_num_queries(0):
        assert storefront_version.catalogue_version() == first  # ... unseen until the bound

    settings.SHOP_CACHE_STALENESS_SECONDS = 0
    assert storefront_version.catalogue_version() != first


def test_a_lost_version_row_starts_again_from_the_clock(product):
    """A TRUNCATE or a flushed test database: the next change starts a new, later life."""
    before = read_catalogue_version()
    CatalogueVersion.objects.all().delete()
    product.save()
    after = read_catalogue_version()
    assert int(after.split(".")[0]) > int(before.split(".")[0]) + 10**15


@pytest.mark.django_db(transaction=True)
def test_a_write_from_another_program_advances_it(product):
    """Another program (here psql's protocol through its own connection) edits a price."""
    if connection.vendor == "postgresql":
        import psycopg2

        other = psycopg2.connect(database_url())
    else:
        import sqlite3

        other = sqlite3.connect(connection.settings_dict["NAME"])
    before = read_catalogue_version()
    with other:
        other.cursor().execute("UPDATE partner_stockrecord SET price = 999")
    other.close()

    assert read_catalogue_version() != before
