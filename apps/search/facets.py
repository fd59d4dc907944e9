"""The base search query for every catalogue page and the search results page.

Oscar's own query returns search hits whose ``.object`` each runs its own product query
(plus six prefetches), so a page of 24 products costs ~150 SQL queries. Loading the
whole page at once through ``ProductIndex.read_queryset`` makes it a fixed handful.
"""

from haystack.query import SearchQuerySet
from oscar.apps.search import facets as oscar_facets


def base_sqs() -> SearchQuerySet:
    """Oscar's faceted query, with each page's products loaded in bulk (``load_all``)."""
    return oscar_facets.base_sqs().load_all()
