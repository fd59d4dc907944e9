"""The search results page, its product cards read from the cache in one call and its
products in bulk (``apps.catalogue.mixins.CardPrefetchMixin``)."""

from oscar.apps.search.views import search as oscar_search

from apps.catalogue.mixins import CardPrefetchMixin


class FacetedSearchView(CardPrefetchMixin, oscar_search.FacetedSearchView):
    load_all = False  # the mixin reads the page's products, only as deep as it needs
