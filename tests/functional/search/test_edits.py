"""Edits are searched at once, however they are written: a product hidden or renamed with
``QuerySet.update`` (as Oscar's dashboard bulk actions write), repriced in raw SQL, deleted,
or made public again is found — or no longer found — by the very next search and listing,
with no index to update."""

from urllib.parse import urlencode

import pytest
from django.db import connection
from oscar.core.loading import get_model

from tests.functional.search.pages import card_titles, listed_titles
from tests.functional.search.test_facets import facet_named

pytestmark = pytest.mark.django_db

Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")

JIKO = "Energy-saving charcoal jiko"


def search(app, query: str, **filters) -> list[str]:
    return card_titles(app.get("/search/?" + urlencode({"q": query, **filters})))


def test_a_product_hidden_by_a_bulk_update_is_no_longer_found(django_app, demo_catalogue):
    assert JIKO in search(django_app, "jiko")

    Product.objects.filter(title=JIKO).update(is_public=False)

    assert JIKO not in search(django_app, "jiko")
    assert JIKO not in listed_titles(django_app, "/catalogue/")
    Product.objects.filter(title=JIKO).update(is_public=True)
    assert JIKO in search(django_app, "jiko")


def test_a_renamed_product_is_found_by_its_new_name_at_once(django_app, demo_catalogue):
    assert search(django_app, "makaa") == []

    Product.objects.filter(title=JIKO).update(title="Jiko la makaa")

    assert search(django_app, "makaa") == ["Jiko la makaa"]


def test_a_price_changed_in_raw_sql_moves_the_product_between_price_ranges(
    django_app, demo_catalogue
):
    def in_range(query: str) -> list[str]:
        return search(django_app, "jiko", selected_facets=f"price:{query}")

    record = StockRecord.objects.get(product__title=JIKO)
    assert record.price >= 2500
    assert JIKO in in_range("[2500 TO 5000]")

    with connection.cursor() as cursor:
        cursor.execute("UPDATE partner_stockrecord SET price = 450 WHERE id = %s", [record.pk])

    assert JIKO in in_range("[0 TO 500]")
    assert JIKO not in in_range("[2500 TO 5000]")
    counts = {
        item.label: item.count for item in facet_named(django_app.get("/search/?q=jiko"), "price")
    }
    assert counts.get("Under KSh 500") == 1, counts


def test_a_deleted_product_is_gone_from_search(django_app, demo_catalogue):
    Product.objects.filter(title=JIKO).delete()

    assert JIKO not in search(django_app, "jiko")
    assert JIKO not in search(django_app, "charcoal")
