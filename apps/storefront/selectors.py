"""Reads for the storefront pages the shop adds to Oscar's (the home page)."""

from django.db.models import QuerySet
from oscar.core.loading import get_model

Category = get_model("catalogue", "Category")
Product = get_model("catalogue", "Product")

FEATURED_RANGE_SLUG = "featured"


def featured_products(*, range_slug: str = FEATURED_RANGE_SLUG, limit: int = 8) -> list:
    """Public products included by hand in the range, in its order, ready for product cards.

    ``base_queryset`` prefetches what a product card reads (stock records, images,
    options, class), so the page's query count does not grow with the products shown.
    """
    products: QuerySet = (
        Product.objects.browsable()
        .base_queryset()
        .filter(rangeproduct__range__slug=range_slug)
        .order_by("rangeproduct__display_order", "pk")
    )
    return list(products[:limit])


def top_level_categories() -> list:
    """Public categories at the top of the tree, in tree order."""
    return list(Category.objects.browsable().filter(depth=1).order_by("path"))
