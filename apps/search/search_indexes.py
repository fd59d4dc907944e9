"""The product index, with a read queryset that renders a page of product pods in bulk.

Only this module's ``ProductIndex`` may be visible to haystack's index discovery, so
Oscar's module is imported as a module, not its class by name.
"""

from django.db.models import QuerySet
from oscar.apps.search import search_indexes as oscar_search_indexes

from apps.catalogue.selectors import product_pods_queryset


class ProductIndex(oscar_search_indexes.ProductIndex):
    def read_queryset(self, using: str | None = None) -> QuerySet:
        """What ``load_all`` (see ``apps.search.facets``) reads a page of results with."""
        return product_pods_queryset()
