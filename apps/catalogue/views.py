"""The storefront's catalogue pages: served whole from the cache to anonymous shoppers
(``apps.shop.page_cache``), and the product page reading its relations prefetched."""

from types import SimpleNamespace

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from oscar.apps.catalogue import views as oscar_views
from oscar.core.loading import get_class

from apps.catalogue import view_counts
from apps.catalogue.mixins import CardPrefetchMixin
from apps.catalogue.selectors import product_detail_queryset
from apps.shop.page_cache import AnonymousPageCacheMixin

CustomerHistoryManager = get_class("customer.history", "CustomerHistoryManager")


class CatalogueView(AnonymousPageCacheMixin, CardPrefetchMixin, oscar_views.CatalogueView):
    pass


class ProductCategoryView(
    AnonymousPageCacheMixin, CardPrefetchMixin, oscar_views.ProductCategoryView
):
    pass


class ProductDetailView(AnonymousPageCacheMixin, oscar_views.ProductDetailView):
    def get_queryset(self) -> QuerySet:
        # The stock record, images and options are each read two or three times by the
        # page's partials; prefetched once here, they cost one query each.
        return product_detail_queryset()

    def get_context_data(self, **kwargs) -> dict:
        self.page_cache_current_product_id = self.object.pk
        return super().get_context_data(**kwargs)

    def page_cache_viewed(
        self, request: HttpRequest, response: HttpResponse, product_id: int | None
    ) -> None:
        # What Oscar's product_viewed receivers do, without loading the product:
        # the shopper's history cookie and the product's view count.
        # The history cookie reads only the product's id.
        CustomerHistoryManager.update(SimpleNamespace(id=product_id), request, response)
        view_counts.count_view(product_id)
