"""Whole storefront pages cached for shoppers who are not signed in.

The home, catalogue, category and product pages look the same to every anonymous
shopper except for a few small "holes": the CSRF token in their forms, the basket count
in the navigation bar and, on a product page, the products this shopper viewed before.
Such a page is rendered once with placeholders in those holes, kept in the default
cache (Redis in production) with the catalogue version it was made for
(``apps.shop.cache``), and each request fills the holes for its own shopper. A shopper
with no basket and no viewing history gets the page without a single database query;
any catalogue change (product, price, stock, image, category, range) makes every cached
page stale at once.

Not cached, rendered as usual: signed-in shoppers and staff (their pages show their
account, wishlists and staff links), requests with flash messages waiting to be shown,
anything but GET/HEAD, responses that are not a plain 200, and query strings other
than a page number or a known sort order (so made-up URLs cannot fill the cache).
"""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.translation import get_language
from oscar.core.loading import get_class

from apps.catalogue.selectors import browsable_products_in_order
from apps.shop import cache as shop_cache

logger = logging.getLogger(__name__)

CustomerHistoryManager = get_class("customer.history", "CustomerHistoryManager")
SearchForm = get_class("search.forms", "SearchForm")

#: Response header telling whether a page came from the cache (hit), was rendered and
#: stored (miss) or was rendered for this request only (bypass).
STATUS_HEADER = "X-Shop-Page-Cache"
BASKET_COUNT_PLACEHOLDER = "shop-basket-count-placeholder-41b7"
RECENTLY_VIEWED_PLACEHOLDER = "<!-- shop-recently-viewed-placeholder-9d02 -->"
RECENTLY_VIEWED_TEMPLATE = "oscar/customer/history/recently_viewed_products.html"
RECENTLY_VIEWED_SHOWN = 6
SORT_CHOICES = frozenset(value for value, _label in SearchForm.SORT_BY_CHOICES)


@dataclass(frozen=True)
class PageHoles:
    """Set on ``request.shop_page_holes`` while a page is rendered for the cache: the
    templates print these placeholders instead of the shopper's own values."""

    basket_count: str = BASKET_COUNT_PLACEHOLDER
    recently_viewed: str = RECENTLY_VIEWED_PLACEHOLDER


def _query_is_cacheable(request: HttpRequest) -> bool:
    """Only the query strings the storefront's own links make: a page number and a sort."""
    for name, values in request.GET.lists():
        if len(values) != 1:
            return False
        value = values[0]
        if name == "page" and value.isdigit() and len(value) <= 4:
            continue
        if name == "sort_by" and value in SORT_CHOICES:
            continue
        return False
    return True


def _bypass_reason(request: HttpRequest) -> str | None:
    if not settings.SHOP_PAGE_CACHE_SECONDS:
        return "off"
    if request.method not in ("GET", "HEAD"):
        return "method"
    if request.user.is_authenticated:
        return "signed in"
    if len(messages.get_messages(request)):  # counts without marking them as shown
        return "messages"
    if not _query_is_cacheable(request):
        return "query"
    return None


def page_key(request: HttpRequest) -> str:
    """Where the page of this URL is kept (with the catalogue version it was made for)."""
    path = request.get_full_path()
    digest = hashlib.sha256(path.encode()).hexdigest()[:32]
    return f"shop:page:{get_language() or ''}:{digest}"


def cached_page(request: HttpRequest, key: str) -> tuple[str, int | None] | None:
    """The page kept under ``key`` if it was made for the current catalogue version. The
    version is kept for the request, so a page rendered after a miss stores and reads its
    fragments under the same one."""
    version, cached = shop_cache.get_with_catalogue_version(request, key)
    if cached is None or cached[0] != version:
        return None
    return cached[1], cached[2]


def basket_count(request: HttpRequest) -> int:
    """The navigation bar's item count: no query for a shopper who has no basket yet."""
    if settings.OSCAR_BASKET_COOKIE_OPEN not in request.COOKIES:
        return 0
    return request.basket.num_items


def recently_viewed_html(request: HttpRequest, current_product_id: int | None) -> str:
    """The "Products you recently viewed" section for this shopper (their history cookie)."""
    ids = [
        pk
        for pk in reversed(CustomerHistoryManager.extract(request))
        if isinstance(pk, int) and pk != current_product_id
    ]
    if not ids:
        return ""
    products = browsable_products_in_order(ids, limit=RECENTLY_VIEWED_SHOWN)
    return render_to_string(RECENTLY_VIEWED_TEMPLATE, {"products": products}, request=request)


def fill_holes(html: str, request: HttpRequest, current_product_id: int | None = None) -> str:
    """The cached ``html`` as this request's shopper must see it."""
    request.shop_page_holes = None  # what is rendered from here on is this shopper's
    html = shop_cache.with_csrf_token(html, get_token(request))
    if BASKET_COUNT_PLACEHOLDER in html:
        html = html.replace(BASKET_COUNT_PLACEHOLDER, str(basket_count(request)))
    if RECENTLY_VIEWED_PLACEHOLDER in html:
        html = html.replace(
            RECENTLY_VIEWED_PLACEHOLDER, recently_viewed_html(request, current_product_id)
        )
    return html


class AnonymousPageCacheMixin:
    """For storefront views: serve anonymous shoppers the page from the cache.

    ``page_cache_hit(request, response)`` is for what a page does on every view besides
    rendering (the product page records the view); it runs for hits and misses alike.
    """

    page_cache_current_product_id: int | None = None

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        reason = _bypass_reason(request)
        if reason is not None:
            response = super().dispatch(request, *args, **kwargs)
            response[STATUS_HEADER] = f"bypass ({reason})"
            return response

        key = page_key(request)
        cached = cached_page(request, key)
        if cached is not None:
            html, product_id = cached
            response = HttpResponse(fill_holes(html, request, product_id))
            response[STATUS_HEADER] = "hit"
            self.page_cache_viewed(request, response, product_id)
            return response

        request.shop_page_holes = PageHoles()
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code != 200 or not hasattr(response, "add_post_render_callback"):
            request.shop_page_holes = None
            response[STATUS_HEADER] = "bypass (not a page)"
            return response
        response.add_post_render_callback(self._store_and_fill(request, key))
        response[STATUS_HEADER] = "miss"
        return response

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        if getattr(self.request, "shop_page_holes", None) is not None:
            # Overrides the csrf context processor: forms carry the placeholder.
            context["csrf_token"] = shop_cache.CSRF_PLACEHOLDER
        return context

    def _store_and_fill(self, request: HttpRequest, key: str) -> Callable:
        def callback(response: HttpResponse) -> None:
            html = response.content.decode(response.charset)
            product_id = self.page_cache_current_product_id
            version = shop_cache.request_catalogue_version(request)
            cache.set(key, (version, html, product_id), settings.SHOP_PAGE_CACHE_SECONDS)
            response.content = fill_holes(html, request, product_id)

        return callback

    def page_cache_viewed(
        self, request: HttpRequest, response: HttpResponse, product_id: int | None
    ) -> None:
        """What a view does on a cache hit besides returning the page."""
