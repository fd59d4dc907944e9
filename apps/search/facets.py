"""The base search query for every catalogue page and the search results page.

Oscar's own query returns search hits whose ``.object`` each runs its own product query
(plus six prefetches), so a page of 24 products costs ~150 SQL queries. The listing views
set each page's products themselves, in bulk and only as deep as the page needs
(``apps.catalogue.mixins.CardPrefetchMixin``): a fixed handful of queries, one when every
product card is cached.
"""

from haystack.query import SearchQuerySet
from oscar.apps.search import facets as oscar_facets


def base_sqs() -> SearchQuerySet:
    """Oscar's faceted query (products are loaded by the listing views, not here)."""
    return oscar_facets.base_sqs()
