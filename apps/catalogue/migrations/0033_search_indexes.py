"""GIN indexes for the product search on PostgreSQL (apps/search/engine/postgres.py); other
databases search without them."""

from django.db import migrations

from apps.search.engine.postgres import ATTRIBUTE_INDEX, DOCUMENT_INDEX

DROP = (
    "DROP INDEX IF EXISTS catalogue_product_search",
    "DROP INDEX IF EXISTS catalogue_attributevalue_search",
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DOCUMENT_INDEX)
        schema_editor.execute(ATTRIBUTE_INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0032_category_exclude_from_menu_category_long_description")]

    operations = [migrations.RunPython(create, drop)]
