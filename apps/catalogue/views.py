"""The storefront's catalogue pages: served whole from the cache to anonymous shoppers
(``apps.storefront.page_cache``), and the product page reading its relations prefetched and a
signed-in shopper's stock alert with the product."""

from types import SimpleNamespace

from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from oscar.apps.catalogue import views as oscar_views
from oscar.core.loading import get_class, get_model

from apps.catalogue import view_counts
from apps.catalogue.mixins import CardPrefetchMixin
from apps.catalogue.selectors import product_detail_queryset, with_variants
from apps.storefront.page_cache import LISTING_PARAMETERS, AnonymousPageCacheMixin, product_stock

CustomerHistoryManager = get_class("customer.history", "CustomerHistoryManager")
ProductAlert = get_model("customer", "ProductAlert")


class CatalogueView(AnonymousPageCacheMixin, CardPrefetchMixin, oscar_views.CatalogueView):
    page_cache_parameters = LISTING_PARAMETERS


class ProductCategoryView(
    AnonymousPageCacheMixin, CardPrefetchMixin, oscar_views.ProductCategoryView
):
    page_cache_parameters = LISTING_PARAMETERS


class ProductDetailView(AnonymousPageCacheMixin, oscar_views.ProductDetailView):
    def get_queryset(self) -> QuerySet:
        # The stock record, images and options are each read two or three times by the
        # page's partials; prefetched once here, they cost one query each.
        products = product_detail_queryset()
        user = self.request.user
        if user.is_authenticated:
            # Oscar asks in a query of its own (get_alert_status).
            active_alerts = ProductAlert.objects.filter(
                product=OuterRef("pk"), user=user, status=ProductAlert.ACTIVE
            )
            products = products.annotate(user_has_active_alert=Exists(active_alerts))
        return products

    def get_object(self, queryset=None):
        if hasattr(self, "object"):
            return self.object
        return with_variants(super().get_object(queryset))

    def get_alert_status(self) -> bool:
        return bool(getattr(self.object, "user_has_active_alert", False))

    def page_cache_stock(self, kwargs: dict) -> tuple | None:
        return product_stock(kwargs.get("pk"))

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
