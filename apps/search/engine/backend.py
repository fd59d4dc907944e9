"""The Haystack engine Oscar's listings and search talk to (``HAYSTACK_CONNECTIONS``).

``ShopSearchQuery`` turns Haystack's query tree into a small JSON description (the words
typed, the category a category page lists); ``ShopSearchBackend`` answers it from the
database (``matching`` and ``listing``) with Oscar's narrowing (``selected_facets``: a
product type, a price range, availability), facets and sort, and the answer is kept in the
cache for the catalogue version (``apps.storefront.search_cache``). There is no index to
update: ``update``, ``remove`` and ``clear`` have nothing to do.
"""

import json
import logging
import re
import time
from decimal import Decimal, InvalidOperation

from haystack.backends import BaseEngine, BaseSearchBackend, BaseSearchQuery, log_query
from haystack.models import SearchResult

from apps.search.engine import listing, matching
from apps.storefront.cache import catalogue_version
from apps.storefront.search_cache import CachedAnswers

logger = logging.getLogger(__name__)

_NARROW = re.compile(r"^\s*(?P<field>\w+):\s*\(?(?P<values>.*?)\)?\s*$", re.S)
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_RANGE = re.compile(r"\[\s*(\S+)\s+TO\s+(\S+)\s*\]")
#: Haystack's names for a faceted field ("product_class_exact") and Oscar's ("product_class").
_EXACT = "_exact"


def _field(name: str) -> str:
    return name[: -len(_EXACT)] if name.endswith(_EXACT) else name


def parse_range(text: str) -> listing.Range | None:
    found = _RANGE.fullmatch(text.strip())
    if not found:
        return None

    def bound(value: str) -> Decimal | None:
        return None if value == "*" else Decimal(value)

    try:
        return listing.Range(bound(found[1]), bound(found[2]))
    except InvalidOperation:
        return None


def parse_narrow(narrow: str) -> tuple[str, list] | None:
    """Oscar's narrowing, 'product_class:("Electronics" OR "Digital")' or
    'price:([0 TO 500] OR [500 TO 1000])', as the field and its accepted values (ranges
    for a price); None for what is not such a filter."""
    found = _NARROW.match(narrow or "")
    if not found:
        return None
    field, values = _field(found["field"]), found["values"]
    if field == "price":
        ranges = [parse_range(f"[{a} TO {b}]") for a, b in _RANGE.findall(values)]
        return field, [r for r in ranges if r is not None]
    quoted = [re.sub(r"\\(.)", r"\1", value) for value in _QUOTED.findall(values)]
    return field, quoted or [values.strip().strip('"')]


def _accepts(row: listing.Row, field: str, values: list) -> bool:
    if field == "price":
        return any(r.holds(row.price) for r in values)
    value = row.value(field)
    return value is not None and str(value) in values


class ShopSearchBackend(CachedAnswers, BaseSearchBackend):
    RESERVED_WORDS = ()
    RESERVED_CHARACTERS = ()

    def update(self, index, iterable, commit=True) -> None:
        """Nothing to do: searches read the catalogue tables."""

    def remove(self, obj_or_string, commit=True) -> None:
        """Nothing to do: searches read the catalogue tables."""

    def clear(self, models=None, commit=True) -> None:
        """Nothing to do: searches read the catalogue tables."""

    @log_query
    def search(self, query_string, **kwargs) -> dict:
        return super().search(query_string, **kwargs)

    def answer(self, query_string: str, **kwargs) -> dict:
        ordered, facets, found = self._ordered(query_string, kwargs)
        start = kwargs.get("start_offset") or 0
        end = kwargs.get("end_offset")
        page = ordered[start:end] if end is not None else ordered[start:]
        result_class = kwargs.get("result_class") or SearchResult
        return {
            "results": [result_class("catalogue", "product", row.pk, row.score) for row in page],
            "hits": len(ordered),
            "facets": facets,
            "spelling_suggestion": found.corrected if found is not None else None,
            "shop": {
                "corrected": found.corrected if found is not None else "",
                "partial": found.partial if found is not None else False,
                "suggestions": found.suggestions if found is not None else [],
            },
        }

    def _ordered(self, query_string: str, kwargs: dict) -> tuple:
        """The search's rows in order, its facets and its match. A listing asks twice in a
        row, Haystack's count (one result) and then the page: the page, asked at once for the
        same search and catalogue version, uses the count's answer."""
        asked = (
            catalogue_version(),
            query_string,
            sorted(kwargs.get("narrow_queries") or ()),
            list(kwargs.get("sort_by") or ()),
            sorted(kwargs.get("facets") or ()),
            list(kwargs.get("query_facets") or ()),
        )
        last, self._count = getattr(self, "_count", None), None
        if last is not None and last[0] == asked and time.monotonic() - last[1] < 1:
            return last[2]
        answered = self._compute(query_string, kwargs)
        if kwargs.get("end_offset") == 1:
            self._count = (asked, time.monotonic(), answered)
        return answered

    def _compute(self, query_string: str, kwargs: dict) -> tuple:
        wanted = json.loads(query_string) if query_string.startswith("{") else {}
        found = matching.match(wanted.get("text", "")) if wanted.get("text") else None
        ids = found.ids if found is not None else None
        categories = wanted.get("categories")
        rows = listing.rows(ids, categories) if ids != set() else []
        for narrow in kwargs.get("narrow_queries") or ():
            parsed = parse_narrow(narrow)
            if parsed is None:
                logger.info("Search narrowing not understood, ignored: %r", narrow)
                continue
            field, values = parsed
            rows = [row for row in rows if _accepts(row, field, values)]
        if found is not None:
            for row in rows:
                row.score = listing.score(row, found.stems)
        facets = self._facets(rows, kwargs)
        ordered = listing.sort(rows, list(kwargs.get("sort_by") or []), ranked=found is not None)
        return ordered, facets, found

    def _facets(self, rows: list[listing.Row], kwargs: dict) -> dict:
        fields = {
            name: listing.field_counts(rows, _field(name)) for name in kwargs.get("facets") or {}
        }
        asked = [
            (f"{_field(field)}:{query}", field, query)
            for field, query in kwargs.get("query_facets") or ()
        ]
        ranges = {
            key: parse_range(query) for key, field, query in asked if _field(field) == "price"
        }
        known = [key for key, r in ranges.items() if r is not None]
        counts = dict(
            zip(known, listing.range_counts(rows, [ranges[k] for k in known]), strict=True)
        )
        queries = {key: counts.get(key, 0) for key, _field_name, _query in asked}
        return {"fields": fields, "queries": queries, "dates": {}}


class ShopSearchQuery(BaseSearchQuery):
    """Haystack's query tree as the JSON ``ShopSearchBackend`` reads: the words (Oscar's
    ``auto_query``, field ``content``) and the categories (a category page's
    ``category__in``); Oscar's other filters (public, standalone or parent) are the rows'
    own definition."""

    def build_query(self) -> str:
        wanted: dict = {}
        self._collect(self.query_filter, wanted)
        return json.dumps(wanted, sort_keys=True)

    def _collect(self, node, wanted: dict) -> None:
        for child in node.children:
            if hasattr(child, "children"):
                self._collect(child, wanted)
                continue
            expression, value = child
            field, _, lookup = expression.partition("__")
            if field in ("content", "text"):
                text = getattr(value, "query_string", value)
                wanted["text"] = " ".join(filter(None, [wanted.get("text"), str(text)]))
            elif field == "category":
                ids = value if lookup == "in" else [value]
                wanted["categories"] = sorted(int(pk) for pk in ids)

    def build_query_fragment(self, field, filter_type, value) -> str:
        return f"{field}:{value}"

    def clean(self, query_fragment):
        return query_fragment

    def run(self, spelling_query=None, **kwargs) -> None:
        final_query = self.build_query()
        search_kwargs = self.build_params(spelling_query=spelling_query)
        search_kwargs.update(kwargs)
        results = self.backend.search(final_query, **search_kwargs)
        self._results = results.get("results", [])
        self._hit_count = results.get("hits", 0)
        self._facet_counts = self.post_process_facets(results)
        self._spelling_suggestion = results.get("spelling_suggestion")
        self.shop = results.get("shop", {})


class ShopSearchEngine(BaseEngine):
    backend = ShopSearchBackend
    query = ShopSearchQuery
