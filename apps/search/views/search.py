"""The search results page, its product cards read from the cache in one call."""

from oscar.apps.search.views import search as oscar_search

from apps.catalogue.mixins import CardPrefetchMixin


class FacetedSearchView(CardPrefetchMixin, oscar_search.FacetedSearchView):
    pass
