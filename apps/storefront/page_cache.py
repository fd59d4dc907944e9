"""Whole storefront pages cached for shoppers who are not signed in.

The home, catalogue, category and product pages look the same to every anonymous
shopper except for a few small "holes": the CSRF token in their forms, the basket count
in the navigation bar and, on a product page, the products this shopper viewed before.
Such a page is rendered once with placeholders in those holes, kept in the default
cache (Redis in production) with the catalogue version it was made for
(``apps.storefront.cache``), cut at the holes, and each request fills the holes for its own
shopper. The placeholders are drawn afresh for each render (``PageHoles.drawn``): the page
is cut only where the shop put them, never at text a visitor wrote (a review's title).
A shopper with no basket and no viewing history gets the page without a database query
but the catalogue version's, which each process reads at most once a second
(``apps.storefront.version``). Any catalogue change a shopper could see, whoever makes it
(product, price, image, category, range, offer, a product selling out), advances the
version in the database and makes every cached page stale at once; selling does not. A
product page shows its stock count ("In stock (7 available)"): it is kept with the stock
it was made for, read again (one query) on every view.

Each worker also keeps the pages it served lately (``LocalPages``): as it knows the
version without asking the cache, it serves them again without a trip to Redis at all.

Not cached, rendered as usual: signed-in shoppers and staff (their pages show their
account, wishlists and staff links), requests with flash messages waiting to be shown,
a browser with an order waiting for payment (the header offers "Pay now"),
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
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.translation import get_language
from oscar.core.loading import get_class, get_model

from apps.catalogue.selectors import browsable_products_in_order
from apps.checkout import unpaid
from apps.storefront import cache as shop_cache

logger = logging.getLogger(__name__)

CustomerHistoryManager = get_class("customer.history", "CustomerHistoryManager")
SearchForm = get_class("search.forms", "SearchForm")
StockRecord = get_model("partner", "StockRecord")
Product = get_model("catalogue", "Product")

#: Response header telling whether a page came from the cache (hit), was rendered and
#: stored (miss) or was rendered for this request only (bypass): a diagnostic, sent only
#: with DEBUG or ``SHOP_PAGE_CACHE_HEADER`` (the test and bench settings), never by the
#: production settings (it would tell anyone what the cache holds).
STATUS_HEADER = "X-Shop-Page-Cache"
RECENTLY_VIEWED_TEMPLATE = "oscar/customer/history/recently_viewed_products.html"
RECENTLY_VIEWED_SHOWN = 6
SORT_CHOICES = frozenset(value for value, _label in SearchForm.SORT_BY_CHOICES)


#: What a hole of a cached page holds for each shopper.
CSRF_TOKEN = "csrf token"
BASKET_COUNT = "basket count"
RECENTLY_VIEWED = "recently viewed"


@dataclass(frozen=True)
class PageHoles:
    """Set on ``request.shop_page_holes`` while a page is rendered for the cache: the
    templates print these placeholders instead of the shopper's own values. Each render
    draws its own (``apps.storefront.cache.new_placeholder``), and the page is cut at them before
    it is stored or sent, so a visitor can never write one."""

    csrf_token: str
    basket_count: str
    recently_viewed: str

    @classmethod
    def drawn(cls) -> "PageHoles":
        return cls(
            csrf_token=shop_cache.new_placeholder("csrf"),
            basket_count=shop_cache.new_placeholder("basket-count"),
            # A comment: the section's absence, should it ever go out unfilled.
            recently_viewed=f"<!-- {shop_cache.new_placeholder('recently-viewed')} -->",
        )

    def kinds(self) -> dict[str, str]:
        """What each placeholder stands for."""
        return {
            self.csrf_token: CSRF_TOKEN,
            self.basket_count: BASKET_COUNT,
            self.recently_viewed: RECENTLY_VIEWED,
        }


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
    if unpaid.has_cookie(request):  # the header shows the order waiting for payment
        return "unpaid order"
    if not _query_is_cacheable(request, parameters):
        return "query"
    return None


def page_key(request: HttpRequest) -> str:
    """Where the page of this URL is kept (with the catalogue version it was made for): one
    key for its path and parameters, whatever their order."""
    path = request.path + "?" + "&".join(f"{k}={v}" for k, v in sorted(request.GET.items()))
    digest = hashlib.sha256(path.encode()).hexdigest()[:32]
    # "v4": pages kept as ``Page`` with the kind of each hole and a product page's stock;
    # workers of an earlier release, still finishing their requests during a restart,
    # never read this form (nor this release theirs).
    return f"shop:page:v4:{get_language() or ''}:{digest}"


class Page(NamedTuple):
    """A cached page: its bytes cut at the holes, so that filling them is one join."""

    version: str  # the catalogue version it was made for
    stock: tuple | None  # a product page's stock records as they were (``product_stock``)
    expires_at: float  # time.time(); the cache's own timeout, kept by local copies too
    segments: tuple[bytes, ...]  # one more than holes
    holes: tuple[str, ...]  # what goes between segments[i] and segments[i + 1] (CSRF_TOKEN…)
    product_id: int | None  # the product page's product

    @property
    def size(self) -> int:
        return sum(map(len, self.segments))


def make_page(
    html: str,
    charset: str,
    version: str,
    product_id: int | None,
    holes: PageHoles,
    stock: tuple | None = None,
) -> Page:
    """``html`` rendered with ``holes``, cut at them."""
    kinds = holes.kinds()
    pieces = re.split("({})".format("|".join(map(re.escape, kinds))), html)
    return Page(
        version=version,
        stock=stock,
        expires_at=time.time() + settings.SHOP_PAGE_CACHE_SECONDS,
        segments=tuple(piece.encode(charset) for piece in pieces[0::2]),
        holes=tuple(kinds[placeholder] for placeholder in pieces[1::2]),
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

    def get(self, key: str, version: str) -> Page | None:
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


def cached_page(request: HttpRequest, key: str, stock: tuple | None = None) -> Page | None:
    """The page kept under ``key`` if it was made for the current catalogue version (and,
    for a product page, for the ``stock`` read now): from this process's own copies, else
    from the cache. The version is kept for the request, so a page rendered after a miss
    stores and reads its fragments under the same one."""
    version = shop_cache.request_catalogue_version(request)
    page = local_pages.get(key, version)
    if page is None:
        page = cache.get(key)
        if not _current(page, version):
            return None
        local_pages.put(key, page)
    return page if page.stock == stock else None


def _current(page: object, version: str) -> bool:
    return isinstance(page, Page) and page.version == version and page.expires_at > time.time()


def product_stock(product_id: object) -> tuple | None:
    """A product's stock records (its variants' too) as a product page shows them, in one
    query: the page is good only while these are unchanged. None for no such product."""
    try:
        product_id = int(product_id)
    except (TypeError, ValueError):
        return None
    # The product and its variants by id first: an OR across the join to the product
    # table scanned both tables (12 ms at 10,000 products, on every product page view).
    family = Product.objects.filter(Q(pk=product_id) | Q(parent_id=product_id)).values("pk")
    return tuple(
        StockRecord.objects.filter(product_id__in=family)
        .order_by("pk")
        .values_list("pk", "price", "num_in_stock", "num_allocated")
    )


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
    if hole == CSRF_TOKEN:
        return get_token(request)  # one token for every form of the page
    if hole == BASKET_COUNT:
        return str(basket_count(request))
    return recently_viewed_html(request, product_id)


def _say(response: HttpResponse, status: str) -> None:
    if settings.DEBUG or settings.SHOP_PAGE_CACHE_HEADER:
        response[STATUS_HEADER] = status


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
            _say(response, f"bypass ({reason})")
            return response

        key = page_key(request)
        # Read before the page is rendered: a page is never kept with newer stock than it shows.
        stock = self.page_cache_stock(kwargs)
        page = cached_page(request, key, stock)
        if page is not None:
            response = HttpResponse(filled(page, request))
            _say(response, "hit")
            self.page_cache_viewed(request, response, page.product_id)
            return response

        request.shop_page_holes = holes = PageHoles.drawn()
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code != 200 or not hasattr(response, "add_post_render_callback"):
            request.shop_page_holes = None
            _say(response, "bypass (not a page)")
            return response
        response.add_post_render_callback(self._store_and_fill(request, key, holes, stock))
        _say(response, "miss")
        return response

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        if getattr(self.request, "shop_page_holes", None) is not None:
            # Overrides the csrf context processor: forms carry the placeholder.
            context["csrf_token"] = self.request.shop_page_holes.csrf_token
        return context

    def page_cache_stock(self, kwargs: dict) -> tuple | None:
        """What of the stock the page shows beyond the catalogue version (a product page:
        its stock count), read on every view; None for pages that show none."""
        return None

    def _store_and_fill(
        self, request: HttpRequest, key: str, holes: PageHoles, stock: tuple | None
    ) -> Callable:
        def callback(response: HttpResponse) -> None:
            page = make_page(
                response.content.decode(response.charset),
                response.charset,
                shop_cache.request_catalogue_version(request),
                self.page_cache_current_product_id,
                holes,
                stock,
            )
            cache.set(key, page, settings.SHOP_PAGE_CACHE_SECONDS)
            local_pages.put(key, page)
            response.content = filled(page, request)

        return callback

    def page_cache_viewed(
        self, request: HttpRequest, response: HttpResponse, product_id: int | None
    ) -> None:
        """What a view does on a cache hit besides returning the page."""
