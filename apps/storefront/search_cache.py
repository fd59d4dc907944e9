"""Search answers kept in the cache until the catalogue changes.

The catalogue and category pages are search queries (Oscar lists products through
haystack, with facets), asked twice per page (the count, then the page). The answers of a
query (result ids, hit count, facet counts) are kept in the default cache under the
catalogue version, which the database advances on every catalogue write
(``apps.storefront.triggers``), so a listing is computed once per catalogue change instead
of twice per page view (``apps.search.engine.backend`` uses ``CachedAnswers``).

What a visitor types is a new query each time, so the cache holds a fixed number of
answers whatever arrives: ``SHOP_SEARCH_CACHE_SLOTS`` slots, and a search is kept in one
of the two its description hashes to, with the catalogue version and the description's
digest, both checked on every read (one cache call for both slots). A new search takes a
slot that is empty or stale, else replaces the answer in its first; two slots rather than
one, so that two searches hashing to one slot do not keep pushing each other out. A search
longer than ``SHOP_SEARCH_CACHE_MAX_QUERY_CHARS`` (its words and filters) is not cached.
Haystack has already collapsed the spaces in the visitor's words, and the options are put
in one order (``_stable``), so one search is one description.
"""

import hashlib
import logging
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache

from apps.storefront.cache import catalogue_version, fragment_timeout

logger = logging.getLogger(__name__)


def _stable(value: object) -> object:
    """``value`` with sets and dicts in sorted order: every worker must build the same key
    (a set's order follows string hashing, which differs from process to process)."""
    if isinstance(value, (set, frozenset)):
        return sorted((_stable(item) for item in value), key=repr)
    if isinstance(value, dict):
        return sorted(((repr(k), _stable(v)) for k, v in value.items()), key=repr)
    if isinstance(value, (list, tuple)):
        return [_stable(item) for item in value]
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    return value


class Kept(NamedTuple):
    """A slot's content: the answer to the search described by ``digest``."""

    version: int  # the catalogue version it was made for
    digest: str
    answer: dict


def _cacheable(query_string: str, kwargs: dict) -> bool:
    """Whether the search is short enough to keep: its words and its filters (the parts a
    URL can make as long as it likes); the rest is the shop's own options."""
    filters = kwargs.get("narrow_queries") or ()
    length = len(query_string) + sum(len(str(narrow)) for narrow in filters)
    return length <= settings.SHOP_SEARCH_CACHE_MAX_QUERY_CHARS


def _digest(query_string: str, kwargs: dict) -> str:
    described = repr((query_string, _stable(kwargs)))
    return hashlib.sha256(described.encode()).hexdigest()


def slot_keys(digest: str) -> list[str]:
    """The two slots (of ``SHOP_SEARCH_CACHE_SLOTS``) where the search whose description
    hashes to ``digest`` may be kept: each half of the digest names one."""
    slots = settings.SHOP_SEARCH_CACHE_SLOTS
    halves = (digest[: len(digest) // 2], digest[len(digest) // 2 :])
    return [f"shop:search:slot:{int(half, 16) % slots}" for half in halves]


def _current(kept: object, version: int) -> bool:
    return isinstance(kept, Kept) and kept.version == version


class CachedAnswers:
    """A search backend's ``search`` answered from the cache when the same search was
    answered for the current catalogue version; else by the backend's ``answer``."""

    def search(self, query_string, **kwargs) -> dict:
        if not _cacheable(query_string, kwargs):
            return self.answer(query_string, **kwargs)
        digest = _digest(query_string, kwargs)
        keys = slot_keys(digest)
        version = catalogue_version()
        kept = cache.get_many(keys)
        for key in keys:
            found = kept.get(key)
            if _current(found, version) and found.digest == digest:
                return found.answer
        answer = self.answer(query_string, **kwargs)
        free = [key for key in keys if not _current(kept.get(key), version)]
        cache.set((free or keys)[0], Kept(version, digest, answer), fragment_timeout())
        return answer

    def answer(self, query_string, **kwargs) -> dict:
        raise NotImplementedError
