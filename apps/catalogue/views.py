"""The product page, reading the product with its relations prefetched."""

from django.db.models import QuerySet
from oscar.apps.catalogue import views as oscar_views

from apps.catalogue.selectors import product_detail_queryset

CatalogueView = oscar_views.CatalogueView
ProductCategoryView = oscar_views.ProductCategoryView


class ProductDetailView(oscar_views.ProductDetailView):
    def get_queryset(self) -> QuerySet:
        # The stock record, images and options are each read two or three times by the
        # page's partials; prefetched once here, they cost one query each.
        return product_detail_queryset()
