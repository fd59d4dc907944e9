"""Cached storefront fragments, invalidated by one catalogue version number.

Product cards, the category menu and the home page's featured range are rendered once
and served from the default cache (local memory in the embedded run, Redis in
production) until staff change the catalogue. Every change that can alter one of them
(a product, a price or stock level, an image, a category, a range) bumps the version;
fragment keys carry it, so stale fragments are never read again and simply expire,
instead of being hunted down key by key.

With Redis, each process learns of bumps by subscription (``apps.shop.version_watch``)
and knows the current version without a round trip per request.

Cached HTML must not carry one shopper's CSRF token to another: fragments are rendered
with a placeholder in its place and kept cut there, and the current request's token joins
the pieces on the way out. The placeholder is drawn afresh for each render, so no text in
the fragment can be one (``new_placeholder``).
"""

import logging
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

CATALOGUE_VERSION_KEY = "shop:catalogue-version"
#: How every placeholder in HTML rendered for a cache begins; the rest is drawn per render.
PLACEHOLDER_PREFIX = "shop-hole-"


def new_placeholder(name: str) -> str:
    """A placeholder for a request's own value (its CSRF token, its basket count) in HTML
    rendered for a cache. Cached HTML is cut where it appears, so it must be text no one
    else can write: a fixed string would be cut in a product review or a title that
    quotes it. This one is drawn for this render alone and never leaves the server (the
    HTML is cut at it before it is stored or sent), so no visitor can know it."""
    return f"{PLACEHOLDER_PREFIX}{name}-{secrets.token_hex(16)}"


def _watch():
    """The process's subscription to version bumps (apps/shop/version_watch.py), with Redis
    and ``SHOP_CATALOGUE_VERSION_RECHECK_SECONDS`` above 0; else None."""
    recheck = settings.SHOP_CATALOGUE_VERSION_RECHECK_SECONDS
    version_watch = getattr(cache, "version_watch", None)
    if not recheck or version_watch is None:
        return None
    return version_watch(CATALOGUE_VERSION_KEY, recheck)


def _read_version() -> int:
    version = cache.get(CATALOGUE_VERSION_KEY)
    if version is None:
        # A new cache (or an evicted key): start from the clock, so fragments stored
        # under an earlier life of the cache can never be mistaken for current ones.
        cache.add(CATALOGUE_VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(CATALOGUE_VERSION_KEY, time.time_ns())
    return int(version)


def versions_watched() -> bool:
    """Whether this process learns of catalogue changes without reading the version."""
    return _watch() is not None


def known_catalogue_version(request: object) -> int | None:
    """The current catalogue version if this process knows it without a round trip to
    Redis (its subscription to bumps is working and recently checked), kept for the
    request like ``request_catalogue_version`` keeps it; else None."""
    watch = _watch()
    version = None if watch is None else watch.known()[0]
    if version is not None:
        request._shop_catalogue_version = version
    return version


def catalogue_version() -> int:
    """The current catalogue version: known to the process, or one cache read."""
    watch = _watch()
    if watch is None:
        return _read_version()
    version, generation = watch.known()
    if version is None:
        version = _read_version()
        watch.checked(version, generation)
    return version


def _bump() -> None:
    watch = _watch()
    if watch is not None:
        watch.bump(start=time.time_ns())  # and every process hears of it
        return
    try:
        cache.incr(CATALOGUE_VERSION_KEY)
    except ValueError:  # no version yet: the next read starts a new one
        cache.add(CATALOGUE_VERSION_KEY, time.time_ns(), timeout=None)


def bump_catalogue_version() -> None:
    """Make every cached fragment stale: now, and again once the change is committed.

    The second bump closes a race: a request that read the old rows while the change
    was still uncommitted could otherwise store them under the new version.
    """
    _bump()
    transaction.on_commit(_bump)


def request_catalogue_version(request: object | None) -> int:
    """The catalogue version, read once per request however many fragments the page has.

    With Redis every read is a round trip; a listing page has a card per product.
    """
    if request is None:
        return catalogue_version()
    version = getattr(request, "_shop_catalogue_version", None)
    if version is None:
        version = catalogue_version()
        request._shop_catalogue_version = version
    return version


def get_with_catalogue_version(request: object, key: str) -> tuple[int, object | None]:
    """The current catalogue version and what the cache holds under ``key``, in one cache
    call (with Redis, one round trip instead of two); the version is kept for the request
    like ``request_catalogue_version`` keeps it."""
    watch = _watch()
    generation = 0 if watch is None else watch.known()[1]  # before the read
    found = cache.get_many([CATALOGUE_VERSION_KEY, key])
    version = found.get(CATALOGUE_VERSION_KEY)
    version = _read_version() if version is None else int(version)
    if watch is not None:
        watch.checked(version, generation)
    request._shop_catalogue_version = version
    return version, found.get(key)


def fragment_key(name: str, *vary: object, version: int | None = None) -> str:
    parts = [str(part) for part in vary]
    version = catalogue_version() if version is None else version
    # "v2": fragments kept as pieces (``fragment_cut``); workers of an earlier release,
    # still finishing their requests during a restart, never read this form (nor this
    # release theirs).
    return ":".join(["shop:fragment:v2", name, str(version), get_language() or "", *parts])


def prefetch_fragments(request: object, name: str, varies: list) -> set:
    """Read the fragments a page is about to render in one cache call, not one per card.

    With Redis each read is a round trip: a listing of 24 products spent most of its time
    waiting for its cards one by one. ``cached_fragment`` looks here first. Returns the
    ``varies`` whose fragment was found.
    """
    if request is None or not varies:
        return set()
    version = request_catalogue_version(request)
    keys = {fragment_key(name, vary, version=version): vary for vary in varies}
    found = cache.get_many(list(keys))
    prefetched = getattr(request, "_shop_fragments", None)
    if prefetched is None:
        prefetched = request._shop_fragments = {}
    prefetched.update(found)
    return {keys[key] for key in found}


def cached_fragment(request: object | None, key: str) -> tuple[str, ...] | None:
    """The fragment stored under ``key``: prefetched for this request, or from the cache."""
    prefetched = getattr(request, "_shop_fragments", None)
    if prefetched and key in prefetched:
        return prefetched[key]
    return cache.get(key)


def fragment_timeout() -> int:
    return settings.SHOP_FRAGMENT_CACHE_SECONDS


def fragment_cut(html: str, csrf_placeholder: str) -> tuple[str, ...]:
    """A fragment as it is cached: ``html`` cut where ``csrf_placeholder`` (drawn by
    ``new_placeholder`` for this render) stood for the CSRF token."""
    return tuple(html.split(csrf_placeholder))


def fragment_filled(pieces: tuple[str, ...], csrf_token: object) -> str:
    """The cached fragment with the current request's CSRF token between its pieces (the
    token is only asked for when the fragment has a form: asking sets the CSRF cookie)."""
    if len(pieces) == 1:
        return pieces[0]
    return str(csrf_token or "").join(pieces)
