"""The product index, whose read queryset reads a product with what its pod reads.

Only this module's ``ProductIndex`` may be visible to haystack's index discovery, so
Oscar's module is imported as a module, not its class by name.
"""

from django.db.models import QuerySet
from oscar.apps.search import search_indexes as oscar_search_indexes

from apps.catalogue.selectors import product_pods_queryset


class ProductIndex(oscar_search_indexes.ProductIndex):
    def read_queryset(self, using: str | None = None) -> QuerySet:
        """What haystack reads a result's product with, if anything asks a result for it
        before the listing views set it (``apps.catalogue.selectors.with_result_products``)."""
        return product_pods_queryset()
