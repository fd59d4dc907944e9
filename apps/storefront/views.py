from typing import Any

from django.utils.functional import SimpleLazyObject
from django.views.generic import TemplateView

from apps.storefront import selectors
from apps.storefront.page_cache import AnonymousPageCacheMixin


class HomeView(AnonymousPageCacheMixin, TemplateView):
    """The storefront's front page: who we are, featured products, the departments.

    Oscar's own home URL only redirects to the catalogue; shoppers arriving from a
    link or an SMS deserve a page that says what the shop is and that it takes M-Pesa.
    Served whole from the cache to shoppers who are not signed in.
    """

    template_name = "oscar/shop/home.html"
    featured_limit = 8

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Read only if their cached sections are missing (the template's catalogue_cache).
        context["featured_products"] = SimpleLazyObject(
            lambda: selectors.featured_products(limit=self.featured_limit)
        )
        context["categories"] = SimpleLazyObject(selectors.top_level_categories)
        return context
