"""The catalogue pages run a fixed, small number of SQL queries, however many products show.

Stock Oscar runs a query (plus six prefetches) per product on listing pages: ~150 for a
page of 24. Here a page of 5 and a page of 24 products (of 30) cost the same, warm, with
thumbnails of every product's image on the page.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model

from apps.storefront import cache as shop_cache
from tests.performance.conftest import Catalogue

# Measured with the page cache off: the rendering that signed-in shoppers get on every
# view and anonymous shoppers on the first view after a catalogue change.
pytestmark = pytest.mark.usefixtures("page_cache_off")

# Budgets for a warm page (the second request; the first generates thumbnails and caches
# the product cards and the category menu). They hold whatever the number of products:
# the equality with 5 and 30 products is asserted too.
# Listings read their products' rows and classes only (the cards are cached); sidebar cached.
LISTING_BUDGET = 1
CATEGORY_BUDGET = 3  # the listing's, plus the category and its subtree's ids
SEARCH_BUDGET = 1  # the products, from the ids the index found
# Right after a catalogue change the version is read again (1) and no fragment is current:
# the products are read with what a card reads (rows with classes, stock records, images,
# variants: 4), and the category menu (2), the sidebar (2) and the footer's information
# pages (1) are rendered again; the search engine reads the listing's rows once (1: the
# count and the page share it).
CHANGED_LISTING_BUDGET = 11
# The product, stock records, images, breadcrumb category, attribute values, the review
# permission, recommendations (with their classes), recently viewed products.
PRODUCT_BUDGET = 8
PARENT_PRODUCT_BUDGET = 10  # the product page's, plus the variants and their stock records

THUMBNAIL = re.compile(r'<img src="/media/cache/[^"]+"')
VARIANT_LINK = re.compile(r'<a href="/catalogue/size-\d+_\d+/">')


def warm_query_count(client: Client, url: str) -> tuple[int, str]:
    """Queries run by the second request for ``url``, and the page it rendered."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def assert_same_for_5_and_30_products(
    catalogue: Catalogue, client: Client, url_for, budget: int, pods_with: int, pods_full: int
) -> None:
    catalogue.add_products(5)
    few_queries, few_page = warm_query_count(client, url_for(catalogue))
    catalogue.add_products(25)
    many_queries, many_page = warm_query_count(client, url_for(catalogue))

    # Every product pod on the page shows a real thumbnail, not Oscar's missing image.
    assert len(THUMBNAIL.findall(few_page)) == pods_with
    assert len(THUMBNAIL.findall(many_page)) == pods_full
    assert "KSh" in many_page
    assert few_queries == many_queries, (few_queries, many_queries)
    assert many_queries <= budget, many_queries


def test_catalogue_listing_queries_do_not_grow_with_products(catalogue, client):
    assert_same_for_5_and_30_products(
        catalogue, client, lambda c: "/catalogue/", LISTING_BUDGET, pods_with=5, pods_full=24
    )


def test_category_page_queries_do_not_grow_with_products(catalogue, client):
    assert_same_for_5_and_30_products(
        catalogue,
        client,
        lambda c: c.category.get_absolute_url(),
        CATEGORY_BUDGET,
        pods_with=5,
        pods_full=24,
    )


def test_a_listing_right_after_a_catalogue_change_reads_what_its_cards_need(catalogue, client):
    def after_a_change(c: Catalogue) -> str:
        assert client.get("/catalogue/").status_code == 200  # cards cached...
        shop_cache.bump_catalogue_version()  # ...and stale
        return "/catalogue/"

    catalogue.add_products(5)
    few = changed_query_count(client, after_a_change(catalogue))
    catalogue.add_products(25)
    many = changed_query_count(client, after_a_change(catalogue))

    assert few == many, (few, many)
    assert many <= CHANGED_LISTING_BUDGET, many


def changed_query_count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert "KSh" in response.content.decode()
    return len(queries)


def test_search_results_queries_do_not_grow_with_products(catalogue, client):
    assert_same_for_5_and_30_products(
        catalogue, client, lambda c: "/search/?q=jiko", SEARCH_BUDGET, pods_with=5, pods_full=24
    )


def test_product_page_queries_do_not_grow_with_products_or_browsing_history(catalogue, client):
    """The product page also shows up to six recently viewed products as pods."""

    def product_page_after_browsing(c: Catalogue) -> str:
        for product in c.products:
            assert client.get(product.get_absolute_url()).status_code == 200
        return c.products[0].get_absolute_url()

    # With 5 products the page shows its own image and 4 recently viewed ones; with 30,
    # its own and the 6 most recently viewed.
    assert_same_for_5_and_30_products(
        catalogue, client, product_page_after_browsing, PRODUCT_BUDGET, pods_with=5, pods_full=7
    )


def test_parent_product_page_queries_do_not_grow_with_variants(catalogue, client):
    """A parent's page lists its variants, each priced and checked for stock."""
    parent = catalogue.add_products(1)[0]
    parent.structure = parent.PARENT
    parent.save()
    parent.stockrecords.all().delete()

    def add_variants(count: int) -> None:
        for _ in range(count):
            number = parent.children.count() + 1
            child = type(parent).objects.create(
                structure=parent.CHILD, parent=parent, title=f"Size {number}", upc=f"CH-{number}"
            )
            child.stockrecords.create(
                partner=catalogue.partner,
                partner_sku=f"CH-{number}",
                price_currency="KES",
                price=1000 + number,
                num_in_stock=5,
            )

    add_variants(2)
    few_queries, few_page = warm_query_count(client, parent.get_absolute_url())
    add_variants(4)
    many_queries, many_page = warm_query_count(client, parent.get_absolute_url())

    assert len(VARIANT_LINK.findall(few_page)) == 2
    assert len(VARIANT_LINK.findall(many_page)) == 6
    assert few_queries == many_queries, (few_queries, many_queries)
    assert many_queries <= PARENT_PRODUCT_BUDGET, many_queries


def test_product_page_queries_do_not_grow_with_recommended_products(catalogue, client):
    """Staff may recommend up to six products on a product page, each shown as a card."""
    product, *others = catalogue.add_products(7)
    ProductRecommendation = get_model("catalogue", "ProductRecommendation")

    def recommend(count: int) -> None:
        for ranking, other in enumerate(others[:count]):
            ProductRecommendation.objects.get_or_create(
                primary=product, recommendation=other, defaults={"ranking": ranking}
            )

    recommend(1)
    few_queries, few_page = warm_query_count(client, product.get_absolute_url())
    recommend(6)
    many_queries, many_page = warm_query_count(client, product.get_absolute_url())

    assert "Recommended items" in few_page
    assert all(other.title in many_page for other in others[:6])
    assert few_queries == many_queries, (few_queries, many_queries)
    assert many_queries <= PRODUCT_BUDGET, many_queries
