"""View mixins shared by the pages that list products."""

from apps.shop import cache as shop_cache


class CardPrefetchMixin:
    """For listing views: the page's product cards read from the cache in one call."""

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        page = context.get("page_obj")
        if page is not None:
            # Search results and products alike: a card's key is its product's pk.
            pks = [item.pk for item in page.object_list]
            shop_cache.prefetch_fragments(self.request, "card", pks)
        return context
