"""View mixins shared by the pages that list products."""

from apps.catalogue.selectors import with_result_products


class CardPrefetchMixin:
    """For listing views (catalogue, category, search results): the page's product cards
    read from the cache in one call, and its products read in bulk, with what a card reads
    only for the cards that must be rendered (``with_result_products``)."""

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        page = context.get("page_obj")
        if page is not None:
            page.object_list = with_result_products(list(page.object_list), request=self.request)
        return context
