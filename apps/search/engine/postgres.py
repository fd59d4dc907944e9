"""Which products a word finds, by PostgreSQL's full-text search.

A product is found by its title, UPC and description (``DOCUMENT``, the expression its GIN
index is built on: the query must use it exactly so), by its product type's name, by the
name of any of its categories or their ancestors ("phone" finds everything in "Phones &
accessories"), and by its attributes' text. A variant finds its parent. The index migrations
live in ``apps/catalogue/migrations`` (``DOCUMENT_INDEX``, ``ATTRIBUTE_INDEX``).
"""

from django.db import connection

#: A product's searched text, numbers without thousands separators (as ``text.words``).
DOCUMENT = (
    "to_tsvector('english'::regconfig, regexp_replace("
    "coalesce(title, '') || ' ' || coalesce(upc, '') || ' ' || coalesce(description, ''), "
    "'(\\d),(?=\\d)', '\\1', 'g'))"
)
ATTRIBUTE = "to_tsvector('english'::regconfig, coalesce(value_text, ''))"

DOCUMENT_INDEX = (
    "CREATE INDEX IF NOT EXISTS catalogue_product_search "
    f"ON catalogue_product USING GIN (({DOCUMENT}))"
)
ATTRIBUTE_INDEX = (
    "CREATE INDEX IF NOT EXISTS catalogue_attributevalue_search "
    f"ON catalogue_productattributevalue USING GIN (({ATTRIBUTE}))"
)

_FINDING = f"""
WITH q AS (SELECT to_tsquery('english'::regconfig, %(term)s) AS q)
SELECT DISTINCT coalesce(p.parent_id, p.id) FROM catalogue_product p WHERE p.id IN (
    SELECT id FROM catalogue_product, q WHERE {DOCUMENT} @@ q.q
    UNION
    SELECT id FROM catalogue_product WHERE product_class_id IN (
        SELECT c.id FROM catalogue_productclass c, q
        WHERE to_tsvector('english'::regconfig, c.name) @@ q.q
    )
    UNION
    SELECT pc.product_id FROM catalogue_productcategory pc
    JOIN catalogue_category c ON c.id = pc.category_id
    JOIN catalogue_category named ON c.path LIKE named.path || '%%', q
    WHERE to_tsvector('english'::regconfig, named.name) @@ q.q
    UNION
    SELECT product_id FROM catalogue_productattributevalue, q WHERE {ATTRIBUTE} @@ q.q
)
"""


def ids_finding(word: str) -> set[int]:
    """The products (parents for variants) a query word finds, as a prefix of a stem."""
    with connection.cursor() as cursor:
        cursor.execute(_FINDING, {"term": f"{word}:*"})
        return {row[0] for row in cursor.fetchall()}
