"""A search's products as rows, narrowed by the shopper's filters, counted into facets,
ranked or sorted, and cut to the page.

One row per browsable product (public, standalone or parent) with what listings filter and
sort on: its price (the lowest of its stock records, its variants' for a parent), whether it
is available (in stock, or a type whose stock is not tracked), its type's name, its rating,
its creation date and title. Rows are read from the catalogue tables as they are now.
"""

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from oscar.core.loading import get_model

from apps.search.engine.text import title_stems

Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")

IN_STOCK = "In stock"
OUT_OF_STOCK = "Out of stock"
#: More ids than this are filtered in Python rather than in the query (SQLite's limit on
#: a statement's parameters is 999 in older builds).
IDS_IN_QUERY = 900


@dataclass
class Row:
    pk: int
    title: str
    product_class: str | None
    rating: float | None
    date_created: datetime
    track_stock: bool
    price: Decimal | None = None
    in_stock: bool = False
    score: float = 0.0

    @property
    def availability(self) -> str:
        return IN_STOCK if (self.in_stock or not self.track_stock) else OUT_OF_STOCK

    def value(self, field: str):
        """The row's value for a facet, filter or sort field (None for an unknown field)."""
        if field == "availability":
            return self.availability
        return getattr(self, field, None) if field in VALUE_FIELDS else None


VALUE_FIELDS = frozenset({"product_class", "rating", "price", "title", "date_created"})


def rows(ids: set[int] | None, category_ids: list[int] | None) -> list[Row]:
    """The browsable products among ``ids`` (all when None), in ``category_ids`` when given."""
    if connection.vendor == "postgresql":
        return _postgresql_rows(ids, category_ids)
    products = Product.objects.filter(is_public=True, structure__in=("standalone", "parent"))
    if category_ids is not None:
        products = products.filter(categories__in=category_ids).distinct()
    if ids is not None and len(ids) <= IDS_IN_QUERY:
        products = products.filter(pk__in=ids)
    found = {
        pk: Row(pk, title, class_name, rating, created, track is not False)
        for pk, title, class_name, rating, created, track in products.values_list(
            "pk",
            "title",
            "product_class__name",
            "rating",
            "date_created",
            "product_class__track_stock",
        ).iterator(chunk_size=5000)
        if ids is None or pk in ids
    }
    _add_stock(found)
    return list(found.values())


#: One query for the rows on PostgreSQL. Each product's stock records (its variants' for a
#: parent): for the products a search found, by index through their ids and their
#: variants' parent ids; for a whole listing, all stock records aggregated once.
_POSTGRESQL_ROWS = """
SELECT p.id, p.title, pc.name, p.rating, p.date_created, coalesce(pc.track_stock, true),
       stock.price, coalesce(stock.in_stock, false)
FROM catalogue_product p
LEFT JOIN catalogue_productclass pc ON pc.id = p.product_class_id
LEFT JOIN (
    SELECT product_id, min(price) AS price, bool_or(available) AS in_stock FROM ({stock}) s
    GROUP BY product_id
) stock ON stock.product_id = p.id
WHERE p.is_public AND p.structure IN ('standalone', 'parent') {ids} {categories}
"""
_AVAILABLE = "coalesce(s.num_in_stock, 0) - coalesce(s.num_allocated, 0) > 0"
_STOCK_OF_IDS = f"""
    SELECT s.product_id, s.price, {_AVAILABLE} AS available
    FROM partner_stockrecord s WHERE s.product_id = ANY(%(ids)s)
    UNION ALL
    SELECT c.parent_id, s.price, {_AVAILABLE}
    FROM partner_stockrecord s JOIN catalogue_product c ON c.id = s.product_id
    WHERE c.parent_id = ANY(%(ids)s)
"""
_STOCK_OF_ALL = f"""
    SELECT coalesce(c.parent_id, c.id) AS product_id, s.price, {_AVAILABLE} AS available
    FROM partner_stockrecord s JOIN catalogue_product c ON c.id = s.product_id
"""


def _postgresql_rows(ids: set[int] | None, category_ids: list[int] | None) -> list[Row]:
    params: dict = {}
    ids_sql = categories_sql = ""
    if ids is not None:
        ids_sql, params["ids"] = "AND p.id = ANY(%(ids)s)", sorted(ids)
    if category_ids is not None:
        categories_sql = (
            "AND p.id IN (SELECT product_id FROM catalogue_productcategory "
            "WHERE category_id = ANY(%(categories)s))"
        )
        params["categories"] = list(category_ids)
    with connection.cursor() as cursor:
        stock = _STOCK_OF_ALL if ids is None else _STOCK_OF_IDS
        sql = _POSTGRESQL_ROWS.format(stock=stock, ids=ids_sql, categories=categories_sql)
        cursor.execute(sql, params)
        return [
            Row(pk, title, class_name, rating, created, track, price, in_stock)
            for pk, title, class_name, rating, created, track, price, in_stock in cursor
        ]


def _add_stock(found: dict[int, Row]) -> None:
    """Each row's lowest price and whether any of its stock records has stock left: one
    query for standalone products' records, one for variants' (their parent's row)."""
    if not found:
        return
    browsable = Product.objects.filter(is_public=True, structure__in=("standalone", "parent"))
    few = len(found) <= IDS_IN_QUERY
    own = StockRecord.objects.filter(product__in=list(found) if few else browsable)
    variants = StockRecord.objects.filter(
        product__parent__in=list(found) if few else browsable
    ).values_list("product__parent_id", "price", "num_in_stock", "num_allocated")
    records = own.values_list("product_id", "price", "num_in_stock", "num_allocated")
    for pk, price, in_stock, allocated in [*records, *variants]:
        row = found.get(pk)
        if row is None:
            continue
        if price is not None and (row.price is None or price < row.price):
            row.price = price
        if (in_stock or 0) - (allocated or 0) > 0:
            row.in_stock = True


def score(row: Row, query_stems: list[str]) -> float:
    """How well a row's title answers the query: per word, 3 for a word of the title, 2 for
    the beginning of one, 0.5 when the word found the product elsewhere (its description,
    type, category or attributes); available products and shorter titles a little first."""
    title = title_stems(row.title)
    total = 0.0
    for wanted in query_stems:
        if wanted in title:
            total += 3
        elif any(s.startswith(wanted) for s in title):
            total += 2
        else:
            total += 0.5
    if row.availability == IN_STOCK:
        total += 0.25
    return total - min(len(title), 20) / 100


# --- Narrowing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """A price range as Oscar writes it, "[1000 TO 2500]" ("*" for no bound); the lower
    bound is in, the upper one out, so that neighbouring ranges do not share a price."""

    low: Decimal | None
    high: Decimal | None

    def holds(self, value) -> bool:
        if value is None:
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value < self.high)


def range_counts(rows_: list[Row], ranges: list[Range]) -> list[int]:
    """How many rows each price range holds: the prices sorted once, each range two
    bisections."""
    prices = sorted(row.price for row in rows_ if row.price is not None)
    counts = []
    for r in ranges:
        low = 0 if r.low is None else bisect_left(prices, r.low)
        high = len(prices) if r.high is None else bisect_left(prices, r.high)
        counts.append(max(0, high - low))
    return counts


def field_counts(rows_: list[Row], field: str) -> list[tuple]:
    counts = Counter(row.value(field) for row in rows_)
    counts.pop(None, None)
    return sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))


def _sort_value(row: Row, name: str):
    if name == "num_in_stock":
        return row.in_stock
    value = row.value("title" if name == "title_exact" else name)
    return value.casefold() if isinstance(value, str) else value


SORTABLE = frozenset({"price", "title", "title_exact", "date_created", "rating", "num_in_stock"})


def sort(rows_: list[Row], sort_by: list[str], ranked: bool) -> list[Row]:
    """Oscar's sort fields ("-price", "title_exact"…; a row without the value comes last
    either way), else by score when the query had words, else newest first (the
    catalogue's own order)."""
    ordered = sorted(rows_, key=lambda row: -row.pk)  # newest first, and a stable base
    if ranked and not sort_by:
        return sorted(ordered, key=lambda row: -row.score)
    for field in reversed(sort_by or ["-date_created"]):
        name = field.lstrip("-")
        if name not in SORTABLE:
            continue
        if field.startswith("-"):
            ordered.sort(key=lambda row: _present_first(row, name), reverse=True)
        else:
            ordered.sort(key=lambda row: _missing_last(row, name))
    return ordered


def _present_first(row: Row, name: str) -> tuple:
    value = _sort_value(row, name)
    return (value is not None, value if value is not None else 0)


def _missing_last(row: Row, name: str) -> tuple:
    value = _sort_value(row, name)
    return (value is None, value if value is not None else 0)
