"""What the test suite's flush by DELETE (tests/conftest.py, PostgreSQL only) relies on:
Django flushes in one transaction, every foreign key is deferrable (rows that point at each
other are deleted in any order), and the catalogue version starts again from the clock."""

import pytest
from django.core.management.color import no_style
from django.db import connection, transaction
from oscar.core.loading import get_model

from apps.storefront.triggers import VERSION_TABLE

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the DELETE flush is PostgreSQL's"
    ),
]

Category = get_model("catalogue", "Category")
Product = get_model("catalogue", "Product")
ProductCategory = get_model("catalogue", "ProductCategory")


def test_every_foreign_key_can_wait_for_the_commit():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE contype = 'f' AND NOT condeferrable AND connamespace = 'public'::regnamespace"
        )
        assert cursor.fetchall() == []


def test_the_flush_deletes_rows_that_point_at_each_other_and_restarts_the_version():
    product = Product.objects.create(title="Jiko", structure="standalone")
    category = Category.objects.add_root({"name": "Kitchen"})
    ProductCategory.objects.create(product=product, category=category)
    statements = connection.ops.sql_flush(no_style(), connection.introspection.django_table_names())
    assert statements[0] == "SET CONSTRAINTS ALL DEFERRED"
    assert all(s.startswith("DELETE FROM") for s in statements[1:])
    assert VERSION_TABLE in statements[1]  # first: the triggers then start it afresh

    with transaction.atomic():
        connection.ops.execute_sql_flush(statements)

    assert not Product.objects.exists() and not ProductCategory.objects.exists()
