"""Which products a shopper's query finds, and what to say when it finds nothing.

Every word must find a product (see ``text``); a word that finds nothing in the catalogue
is taken as misspelt and replaced by the catalogue's closest words ("phnoe" → "phone",
"sufria" → "sufuria"): within one letter for words of four or five letters, two for longer
ones, a swap of two letters counting as one. When the words find nothing together, the
products that some of them find are offered instead, those found by more words first.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection
from oscar.core.loading import get_model
from rapidfuzz import process
from rapidfuzz.distance import OSA

from apps.search.engine import postgres
from apps.search.engine.text import finds, query_words, stem, stems, words
from apps.storefront.cache import catalogue_version, fragment_timeout

Category = get_model("catalogue", "Category")
Product = get_model("catalogue", "Product")
ProductAttributeValue = get_model("catalogue", "ProductAttributeValue")

#: Suggestions offered on a page that found nothing: at most this many, within two letters
#: of the word typed, or half its length for longer words ("kangaroo" → "kanga").
SUGGESTIONS = 5


def suggestion_distance(word: str) -> int:
    return min(4, max(2, len(word) // 2))


@dataclass
class Match:
    """A query's products: ``ids`` (None when there was no query: everything)."""

    ids: set[int] | None
    #: The words searched: as typed, or corrected.
    searched: list[str] = field(default_factory=list)
    #: Each searched word's stem: what ranks a product whose title has it.
    stems: list[str] = field(default_factory=list)
    #: The query as searched when some words were corrected ("" when none was).
    corrected: str = ""
    #: When the words found nothing together: only some of them were found.
    partial: bool = False
    #: For a query that found nothing: the catalogue's words closest to it.
    suggestions: list[str] = field(default_factory=list)


def allowed_distance(word: str) -> int:
    if word.isdigit() or len(word) < 4:
        return 0
    return 1 if len(word) <= 5 else 2


def match(query: str) -> Match:
    typed = query_words(query)
    if not typed:
        return Match(ids=set() if (query or "").strip() else None)
    finder = _finder()
    searched: list[str] = []
    found: list[set[int]] = []
    for word in typed:
        ids = finder(word)
        if not ids:
            for correction in corrections(word):
                ids = finder(correction)
                if ids:
                    word = correction
                    break
        searched.append(word)
        found.append(ids)
    corrected = " ".join(searched) if searched != typed else ""
    result = Match(
        ids=set.intersection(*found),
        searched=searched,
        stems=[stem(word) for word in searched],
        corrected=corrected,
    )
    if not result.ids and any(found):
        result.ids, result.partial = set.union(*found), len(found) > 1
    if not result.ids:
        result.suggestions = suggestions(typed)
    return result


def corrections(word: str) -> list[str]:
    """The catalogue's words closest to ``word`` within its allowed distance, nearest and
    then most used first."""
    distance = allowed_distance(word)
    if not distance:
        return []
    vocabulary = catalogue_vocabulary()
    near = process.extract(
        word, list(vocabulary), scorer=OSA.distance, score_cutoff=distance, limit=None
    )
    near.sort(key=lambda hit: (hit[1], -vocabulary[hit[0]], hit[0]))
    return [candidate for candidate, _distance, _index in near if candidate != word]


def suggestions(typed: list[str]) -> list[str]:
    vocabulary = catalogue_vocabulary()
    known = [w for w in vocabulary if len(w) >= 3 and w.isalpha()]
    hits: dict[str, float] = {}
    for word in typed:
        if len(word) < 3:
            continue
        for candidate, distance, _index in process.extract(
            word,
            known,
            scorer=OSA.distance,
            score_cutoff=suggestion_distance(word),
            limit=SUGGESTIONS,
        ):
            hits[candidate] = min(hits.get(candidate, distance), distance)
    ranked = sorted(hits, key=lambda c: (hits[c], -vocabulary[c], c))
    return ranked[:SUGGESTIONS]


def catalogue_vocabulary() -> Counter:
    """The words of public products' titles, their types and categories, with how many
    times each is used; kept in the cache for the catalogue version it was read at."""
    key = f"shop:vocabulary:{catalogue_version()}"
    vocabulary = cache.get(key)
    if vocabulary is None:
        vocabulary = Counter()
        public = Product.objects.filter(is_public=True)
        for title in public.values_list("title", flat=True).iterator(chunk_size=5000):
            # Words with letters: numbers are never corrected, and model numbers would
            # outnumber the words (a catalogue of 100,000 numbered products).
            vocabulary.update(w for w in words(title) if not w.isdigit())
        for name in public.values_list("product_class__name", flat=True).distinct():
            vocabulary.update(words(name or ""))
        for name in Category.objects.values_list("name", flat=True):
            vocabulary.update(words(name))
        cache.set(key, vocabulary, fragment_timeout())
    return vocabulary


def _finder():
    if connection.vendor == "postgresql":
        return postgres.ids_finding
    return PythonFinder().ids_finding


class PythonFinder:
    """The same rules as ``postgres``, in Python, for databases without full-text search
    (the embedded run's SQLite and its few hundred products): every product's words are
    read once per query."""

    def __init__(self) -> None:
        categories = {c.pk: c for c in Category.objects.only("pk", "path", "name")}
        named: dict[int, set[str]] = {}
        for category in categories.values():
            ancestors = [c for c in categories.values() if category.path.startswith(c.path)]
            named[category.pk] = set().union(*(stems(c.name) for c in ancestors))
        self.products: dict[int, set[str]] = {}
        rows = Product.objects.values_list(
            "pk", "parent_id", "title", "upc", "description", "product_class__name"
        )
        links = Product.categories.through.objects.values_list("product_id", "category_id")
        by_product: dict[int, set[str]] = {}
        for product_id, category_id in links:
            by_product.setdefault(product_id, set()).update(named.get(category_id, ()))
        for product_id, text in ProductAttributeValue.objects.exclude(
            value_text__isnull=True
        ).values_list("product_id", "value_text"):
            by_product.setdefault(product_id, set()).update(stems(text))
        for pk, parent_id, title, upc, description, class_name in rows:
            found = stems(f"{title} {upc or ''} {description} {class_name or ''}")
            found |= by_product.get(pk, set())
            self.products.setdefault(parent_id or pk, set()).update(found)

    def ids_finding(self, word: str) -> set[int]:
        wanted = stem(word)
        return {pk for pk, found in self.products.items() if finds(wanted, found)}
