"""Words as the shop searches them.

A query word finds a product when the word's stem begins one of the stems of the product's
words: "phones" finds "phone", "charg" finds "charger", "sufurias" finds "sufuria". Stems are
Snowball's English ones, the stemmer PostgreSQL's ``english`` configuration uses. Thousands
separators go ("20,000 mAh" is "20000 mah"), so numbers match however they are written.
"""

import re
from functools import lru_cache

import snowballstemmer

#: The most words of a query that are searched; the rest are ignored.
MAX_QUERY_WORDS = 8

_THOUSANDS = re.compile(r"(\d),(?=\d)")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_stemmer = snowballstemmer.stemmer("english")


def words(text: str) -> list[str]:
    """The lower-case words of ``text``, numbers without their thousands separators."""
    return _WORD.findall(_THOUSANDS.sub(r"\1", (text or "").lower()))


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def query_words(query: str) -> list[str]:
    """A shopper's query as the words searched, each once, in the order typed."""
    seen: dict[str, None] = {}
    for word in words(query):
        if word not in STOP_WORDS:
            seen.setdefault(word, None)
    return list(seen)[:MAX_QUERY_WORDS]


def stems(text: str) -> frozenset[str]:
    return frozenset(stem(word) for word in words(text))


@lru_cache(maxsize=200_000)
def title_stems(title: str) -> frozenset[str]:
    """A title's stems, kept: listings score the same titles search after search."""
    return stems(title)


def finds(query_stem: str, text_stems: frozenset[str] | set[str]) -> bool:
    """Whether a query word's stem finds a text with these stems (prefix of one of them)."""
    return query_stem in text_stems or any(s.startswith(query_stem) for s in text_stems)


#: Words too common to search for: PostgreSQL's ``english`` configuration (Snowball's
#: English stop words) drops them from a query, and so does the shop everywhere.
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself
    yourselves he him his himself she her hers herself it its itself
    they them their theirs themselves what which who whom this that these
    those am is are was were be been being have has had
    having do does did doing a an the and but if or
    because as until while of at by for with about against between
    into through during before after above below to from up down in
    out on off over under again further then once here there when
    where why how all any both each few more most other some
    such no nor not only own same so than too very s
    t can will just don should now
    """.split()
)
