"""Whole storefront pages cached for shoppers who are not signed in.

The home, catalogue, category and product pages look the same to every anonymous
shopper except for a few small "holes": the CSRF token in their forms, the basket count
in the navigation bar and, on a product page, the products this shopper viewed before.
Such a page is rendered once with placeholders in those holes, kept in the default
cache (Redis in production) with the catalogue version it was made for
(``apps.shop.cache``), cut at the holes, and each request fills the holes for its own
shopper. A shopper with no basket and no viewing history gets the page without a single
database query; any catalogue change (product, price, stock, image, category, range)
makes every cached page stale at once.

With Redis, each worker also keeps the pages it served lately (``LocalPages``) and, as
it learns of catalogue changes by subscription (``apps.shop.version_watch``), serves
them again without a trip to Redis at all.

Not cached, rendered as usual: signed-in shoppers and staff (their pages show their
account, wishlists and staff links), requests with flash messages waiting to be shown,
anything but GET/HEAD, responses that are not a plain 200, and query strings other
than a page number or a known sort order (so made-up URLs cannot fill the cache).
"""

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import get_language
from oscar.core.loading import get_class

from apps.catalogue.selectors import browsable_products_in_order
from apps.shop import cache as shop_cache
from apps.shop import csrf

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


#: The query parameters a listing reads: a page number and a sort.
LISTING_PARAMETERS = frozenset({"page", "sort_by"})


def _query_is_cacheable(request: HttpRequest, parameters: frozenset[str]) -> bool:
    """Only the query strings the storefront's own links make, for a view that reads them:
    a page number (ASCII digits, no leading zero) and a sort. Anything else is rendered
    for its request alone, so made-up URLs cannot fill the cache."""
    for name, values in request.GET.lists():
        if name not in parameters or len(values) != 1:
            return False
        value = values[0]
        if name == "page" and _is_page_number(value):
            continue
        if name == "sort_by" and value in SORT_CHOICES:
            continue
        return False
    return True


def _is_page_number(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 4 and value[0] != "0"


def _bypass_reason(request: HttpRequest, parameters: frozenset[str]) -> str | None:
    if not settings.SHOP_PAGE_CACHE_SECONDS:
        return "off"
    if request.method not in ("GET", "HEAD"):
        return "method"
    if request.user.is_authenticated:
        return "signed in"
    if len(messages.get_messages(request)):  # counts without marking them as shown
        return "messages"
    if not _query_is_cacheable(request, parameters):
        return "query"
    return None


def page_key(request: HttpRequest) -> str:
    """Where the page of this URL is kept (with the catalogue version it was made for): one
    key for its path and parameters, whatever their order."""
    path = request.path + "?" + "&".join(f"{k}={v}" for k, v in sorted(request.GET.items()))
    digest = hashlib.sha256(path.encode()).hexdigest()[:32]
    # "v2": pages kept as ``Page``; workers of an earlier release, still finishing their
    # requests during a restart, never read this form (nor this release theirs).
    return f"shop:page:v2:{get_language() or ''}:{digest}"


class Page(NamedTuple):
    """A cached page: its bytes cut at the holes, so that filling them is one join."""

    version: int  # the catalogue version it was made for
    expires_at: float  # time.time(); the cache's own timeout, kept by local copies too
    segments: tuple[bytes, ...]  # one more than holes
    holes: tuple[str, ...]  # the placeholder between segments[i] and segments[i + 1]
    product_id: int | None  # the product page's product

    @property
    def size(self) -> int:
        return sum(map(len, self.segments))


_PLACEHOLDERS = (shop_cache.CSRF_PLACEHOLDER, BASKET_COUNT_PLACEHOLDER, RECENTLY_VIEWED_PLACEHOLDER)
_HOLES = re.compile("({})".format("|".join(map(re.escape, _PLACEHOLDERS))))


def make_page(html: str, charset: str, version: int, product_id: int | None) -> Page:
    pieces = _HOLES.split(html)
    return Page(
        version=version,
        expires_at=time.time() + settings.SHOP_PAGE_CACHE_SECONDS,
        segments=tuple(piece.encode(charset) for piece in pieces[0::2]),
        holes=tuple(pieces[1::2]),
        product_id=product_id,
    )


class LocalPages:
    """The pages this process served lately, up to ``SHOP_PAGE_CACHE_LOCAL_MB``: a page
    served again costs no trip to the cache. Each is used only for the catalogue version
    it was made for and until the cache's own copy expires."""

    def __init__(self) -> None:
        self._pages: OrderedDict[str, Page] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str, version: int) -> Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if not _current(page, version):
                self._remove(key)
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: str, page: Page) -> None:
        limit = settings.SHOP_PAGE_CACHE_LOCAL_MB * 1024 * 1024
        if page.size > limit:
            return
        with self._lock:
            self._remove(key)
            self._pages[key] = page
            self._bytes += page.size
            while self._bytes > limit:
                self._remove(next(iter(self._pages)))

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0

    def _remove(self, key: str) -> None:
        page = self._pages.pop(key, None)
        if page is not None:
            self._bytes -= page.size


local_pages = LocalPages()


def cached_page(request: HttpRequest, key: str) -> Page | None:
    """The page kept under ``key`` if it was made for the current catalogue version: from
    this process's own copies when it knows the version without asking the cache, else
    from the cache. The version is kept for the request, so a page rendered after a miss
    stores and reads its fragments under the same one."""
    version = shop_cache.known_catalogue_version(request)
    if version is None:  # one round trip for the version and the page
        version, page = shop_cache.get_with_catalogue_version(request, key)
        return page if _current(page, version) else None
    page = local_pages.get(key, version)
    if page is None:
        page = cache.get(key)
        if not _current(page, version):
            return None
        local_pages.put(key, page)
    return page


def _current(page: object, version: int) -> bool:
    return isinstance(page, Page) and page.version == version and page.expires_at > time.time()


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


def filled(page: Page, request: HttpRequest) -> bytes:
    """The cached ``page`` as this request's shopper must see it."""
    request.shop_page_holes = None  # what is rendered from here on is this shopper's
    values: dict[str, bytes] = {}
    out = [page.segments[0]]
    for hole, segment in zip(page.holes, page.segments[1:], strict=True):
        value = values.get(hole)
        if value is None:
            value = values[hole] = _hole_value(hole, request, page.product_id).encode()
        out += (value, segment)
    return b"".join(out)


def _hole_value(hole: str, request: HttpRequest, product_id: int | None) -> str:
    if hole == shop_cache.CSRF_PLACEHOLDER:
        return csrf.get_token(request)  # one token for every form of the page
    if hole == BASKET_COUNT_PLACEHOLDER:
        return str(basket_count(request))
    return recently_viewed_html(request, product_id)


class AnonymousPageCacheMixin:
    """For storefront views: serve anonymous shoppers the page from the cache.

    ``page_cache_hit(request, response)`` is for what a page does on every view besides
    rendering (the product page records the view); it runs for hits and misses alike.
    """

    page_cache_current_product_id: int | None = None
    #: The query parameters the view reads (a listing's page and sort); with any other,
    #: or with these on a page that reads none, the page is not cached.
    page_cache_parameters: frozenset[str] = frozenset()

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        reason = _bypass_reason(request, self.page_cache_parameters)
        if reason is not None:
            response = super().dispatch(request, *args, **kwargs)
            response[STATUS_HEADER] = f"bypass ({reason})"
            return response

        key = page_key(request)
        page = cached_page(request, key)
        if page is not None:
            response = HttpResponse(filled(page, request))
            response[STATUS_HEADER] = "hit"
            self.page_cache_viewed(request, response, page.product_id)
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
            page = make_page(
                response.content.decode(response.charset),
                response.charset,
                shop_cache.request_catalogue_version(request),
                self.page_cache_current_product_id,
            )
            cache.set(key, page, settings.SHOP_PAGE_CACHE_SECONDS)
            if shop_cache.versions_watched():  # else every view reads the cache anyway
                local_pages.put(key, page)
            response.content = filled(page, request)

        return callback

    def page_cache_viewed(
        self, request: HttpRequest, response: HttpResponse, product_id: int | None
    ) -> None:
        """What a view does on a cache hit besides returning the page."""
