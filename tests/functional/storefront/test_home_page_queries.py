"""The home page's SQL stays small and does not grow with the featured products shown."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model

from apps.demo.loader import product_card_png
from tests.functional.storefront.conftest import add_product

ProductImage = get_model("catalogue", "ProductImage")
Range = get_model("offer", "Range")

# The rendering's own cost (the page cache, off here, is tested in
# tests/performance/test_page_cache.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_off")]

#: Featured products, their options, stock records and images, the departments
#: and Oscar's category menu: one query each, whatever the number of products.
HOME_PAGE_QUERY_BUDGET = 10


def feature_products(catalogue, count: int) -> None:
    featured = Range.objects.get(slug="featured")
    for index in range(count - featured.included_products.count()):
        product = add_product(f"Kiondo basket {index}", catalogue.kitchen, "Household", "1800", 5)
        image = ProductImage(product=product, display_order=0)
        image.original.save(
            f"kiondo-{index}.png", ContentFile(product_card_png("Kiondo", (1, 2, 3)))
        )
        featured.add_product(product)


def warm_home_page_queries(client) -> int:
    client.get("/")  # the first visit makes thumbnails and fills caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return len(queries)


def test_home_page_queries_do_not_grow_with_featured_products(client, catalogue):
    feature_products(catalogue, 2)
    with_two = warm_home_page_queries(client)
    feature_products(catalogue, 8)
    with_eight = warm_home_page_queries(client)

    assert with_eight == with_two
    assert with_eight <= HOME_PAGE_QUERY_BUDGET
    assert len(Range.objects.get(slug="featured").included_products.all()) == 8
