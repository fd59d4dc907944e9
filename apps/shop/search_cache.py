"""Whoosh with its answers cached until the catalogue or the index changes.

The catalogue and category pages are search queries (Oscar lists products through
haystack, with facets). Whoosh answers them by collecting and sorting every matching
document, twice per page (the count, then the page): with 10,000 products that is most
of a second, and it grows with the catalogue. The answers of a query (result ids, hit
count, facet counts) are kept in the default cache under the catalogue version, so a
listing costs Whoosh once per catalogue change instead of once per page view. Updating
or clearing the index bumps the version (``apps.shop.cache``).
"""

import hashlib
import logging

from django.core.cache import cache
from haystack.backends.whoosh_backend import WhooshEngine, WhooshSearchBackend

from apps.shop.cache import bump_catalogue_version, catalogue_version, fragment_timeout

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


def _key(query_string: str, kwargs: dict) -> str:
    described = repr((query_string, _stable(kwargs)))
    digest = hashlib.sha256(described.encode()).hexdigest()
    return f"shop:search:{catalogue_version()}:{digest}"


class CachedWhooshSearchBackend(WhooshSearchBackend):
    def search(self, query_string, **kwargs) -> dict:
        key = _key(query_string, kwargs)
        answer = cache.get(key)
        if answer is None:
            answer = super().search(query_string, **kwargs)
            cache.set(key, answer, fragment_timeout())
        return answer

    def update(self, index, iterable, commit=True) -> None:
        super().update(index, iterable, commit=commit)
        bump_catalogue_version()

    def remove(self, obj_or_string, commit=True) -> None:
        super().remove(obj_or_string, commit=commit)
        bump_catalogue_version()

    def clear(self, models=None, commit=True) -> None:
        super().clear(models=models, commit=commit)
        bump_catalogue_version()


class CachedWhooshEngine(WhooshEngine):
    backend = CachedWhooshSearchBackend
