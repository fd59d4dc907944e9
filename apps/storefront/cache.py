"""Cached storefront fragments, invalidated by one catalogue version number.

Product cards, the category menu and the home page's featured range are rendered once
and served from the default cache (local memory in the embedded run, Redis in
production) until the catalogue changes. The database itself advances the version on
every change a shopper could see, whoever makes it (``apps.storefront.triggers``), and
each process reads it at most every ``SHOP_CACHE_STALENESS_SECONDS``
(``apps.storefront.version``); fragment keys carry it, so stale fragments are never read
again and simply expire, instead of being hunted down key by key.

Cached HTML must not carry one shopper's CSRF token to another: fragments are rendered
with a placeholder in its place and kept cut there, and the current request's token joins
the pieces on the way out. The placeholder is drawn afresh for each render, so no text in
the fragment can be one (``new_placeholder``).
"""

import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils.translation import get_language

from apps.storefront import version as storefront_version
from apps.storefront.triggers import bump_sql

logger = logging.getLogger(__name__)

#: How every placeholder in HTML rendered for a cache begins; the rest is drawn per render.
PLACEHOLDER_PREFIX = "shop-hole-"


def new_placeholder(name: str) -> str:
    """A placeholder for a request's own value (its CSRF token, its basket count) in HTML
    rendered for a cache. Cached HTML is cut where it appears, so it must be text no one
    else can write: a fixed string would be cut in a product review or a title that
    quotes it. This one is drawn for this render alone and never leaves the server (the
    HTML is cut at it before it is stored or sent), so no visitor can know it."""
    return f"{PLACEHOLDER_PREFIX}{name}-{secrets.token_hex(16)}"


def catalogue_version() -> str:
    """The catalogue version as this process knows it (at most one small query a second)."""
    return storefront_version.catalogue_version()


def bump_catalogue_version() -> None:
    """Advance the version for a change the database cannot see (the search index's
    files); it commits with the current transaction, like the triggers' own."""
    with connection.cursor() as cursor:
        cursor.execute(bump_sql(connection.vendor))
    storefront_version.forget()


def request_catalogue_version(request: object | None) -> str:
    """The catalogue version, fixed for the request however many fragments the page has:
    a page is rendered, stored and read under one version."""
    if request is None:
        return catalogue_version()
    version = getattr(request, "_shop_catalogue_version", None)
    if version is None:
        version = catalogue_version()
        request._shop_catalogue_version = version
    return version


def fragment_key(name: str, *vary: object, version: str | None = None) -> str:
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
