"""Product search on the shop's own database: no index files, nothing to rebuild.

Oscar lists and searches products through Haystack; this package is a Haystack engine that
answers from the catalogue tables themselves, so every web machine sees the same answer and
an edit (however it is written: ``save()``, Oscar's bulk actions, raw SQL, another machine)
is found — or no longer found — by the next search.

- ``text``: words as the shop searches them (stems, prefixes, thousands separators).
- ``matching``: which products a query's words find; PostgreSQL's full-text search with GIN
  indexes (``postgres``), the same rules in Python on other databases (the embedded SQLite),
  and the correction of misspelt words against the catalogue's own vocabulary.
- ``listing``: a search's products as rows (price, availability, type, rating…), narrowed,
  counted into facets, ranked or sorted and cut to the page.
- ``backend``: the Haystack engine, backend and query Oscar's views talk to.
"""
