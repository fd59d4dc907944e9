"""The database advances the catalogue version itself, whoever writes.

A trigger on every table a storefront page reads adds one to ``CatalogueVersion`` in the
writer's own transaction: ``save()``, ``QuerySet.update()``, ``bulk_create``, deletes, raw
SQL, Oscar's dashboard bulk actions and importers, the Django admin, another program or
another machine — none can change what shoppers see without the version moving, and the
new version commits (or rolls back) with the change.

Selling does not count as a change: placing, cancelling or expiring an order writes the
stock records' ``num_allocated``/``num_in_stock`` (and an offer's usage counts), which
alone advance nothing unless a product's availability flips between "In stock" and
"Unavailable", the one thing a product card shows of its stock. The product page's own
"N available" is checked by the page cache against the stock records themselves
(``apps.storefront.page_cache``).

All of it is declared here, for PostgreSQL and SQLite alike, and installed after every
``migrate`` (``StorefrontConfig.ready``), so new tables and columns are covered.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import connections

VERSION_TABLE = "storefront_catalogueversion"
FUNCTION = "storefront_catalogue_changed"
# Advance the version; should its row be gone (a TRUNCATE, a test database flushed), start
# again from the clock in microseconds, so a version of an earlier life never comes back.
_START = {
    "postgresql": "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::bigint",
    "sqlite": "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)",
}


def bump_sql(vendor: str) -> str:
    return (
        f"INSERT INTO {VERSION_TABLE} (id, version) VALUES (1, {_START[vendor]}) "
        f"ON CONFLICT (id) DO UPDATE SET version = {VERSION_TABLE}.version + 1"
    )


#: Every table of these apps (many-to-many tables included) is watched in full.
WATCHED_APPS = ("catalogue", "offer", "reviews", "flatpages")


@dataclass(frozen=True)
class Quiet:
    """Columns of a table whose change alone shoppers do not see on cached pages."""

    columns: tuple[str, ...]
    #: A stock record: a change of net stock that flips availability still counts.
    availability: bool = False


QUIET = {
    "partner_stockrecord": Quiet(
        ("num_in_stock", "num_allocated", "date_updated"), availability=True
    ),
    # Usage counts written with every order that used the offer.
    "offer_conditionaloffer": Quiet(("num_applications", "num_orders", "total_discount")),
    # Votes on a review are not shown.
    "reviews_productreview": Quiet(("total_votes", "delta_votes")),
}
#: Tables read by storefront pages beyond the watched apps.
EXTRA_MODELS = ("partner.StockRecord", "partner.Partner")
#: Tables of the watched apps no page reads.
UNWATCHED = frozenset({"offer_rangeproductfileupload", "reviews_vote"})


def watched_tables() -> dict[str, list[str]]:
    """Each watched table with its columns."""
    models = [
        model
        for label in WATCHED_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ] + [apps.get_model(name) for name in EXTRA_MODELS]
    tables = {
        model._meta.db_table: [field.column for field in model._meta.concrete_fields]
        for model in models
    }
    return {table: columns for table, columns in sorted(tables.items()) if table not in UNWATCHED}


def _changed_condition(columns: list[str], quiet: Quiet, distinct: str) -> str:
    """SQL true when an UPDATE changed something shoppers see."""
    tests = [f"OLD.{c} {distinct} NEW.{c}" for c in columns if c not in quiet.columns]
    if quiet.availability:

        def available(row: str) -> str:
            return f"(COALESCE({row}.num_in_stock, 0) - COALESCE({row}.num_allocated, 0) > 0)"

        tests.append(f"{available('OLD')} {distinct} {available('NEW')}")
    return " OR ".join(tests)


def postgresql_statements(tables: dict[str, list[str]]) -> list[str]:
    statements = [
        f"""CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {bump_sql("postgresql")};
            RETURN NULL;
        END $$"""
    ]
    for table, columns in tables.items():
        statements += [
            f"DROP TRIGGER IF EXISTS storefront_changed ON {table}",
            f"DROP TRIGGER IF EXISTS storefront_changed_row ON {table}",
        ]
        quiet = QUIET.get(table)
        if quiet is None:
            # Once per statement: a bulk update of ten thousand rows is one bump.
            statements.append(
                f"CREATE TRIGGER storefront_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )
            continue
        condition = _changed_condition(columns, quiet, "IS DISTINCT FROM")
        statements += [
            f"CREATE TRIGGER storefront_changed AFTER INSERT OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
            f"CREATE TRIGGER storefront_changed_row AFTER UPDATE ON {table} FOR EACH ROW "
            f"WHEN ({condition}) EXECUTE FUNCTION {FUNCTION}()",
        ]
    return statements


def sqlite_statements(tables: dict[str, list[str]]) -> list[str]:
    bump = bump_sql("sqlite")
    statements = []
    for table, columns in tables.items():
        quiet = QUIET.get(table)
        for event in ("INSERT", "UPDATE", "DELETE"):
            name = f"storefront_changed_{table}_{event.lower()}"
            when = ""
            if event == "UPDATE" and quiet is not None:
                when = f" WHEN {_changed_condition(columns, quiet, 'IS NOT')}"
            statements += [
                f"DROP TRIGGER IF EXISTS {name}",
                f"CREATE TRIGGER {name} AFTER {event} ON {table}{when} BEGIN {bump}; END",
            ]
    return statements


def install(using: str = "default") -> int:
    """(Re)install the triggers on database ``using``; returns how many tables."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    if VERSION_TABLE not in existing:
        return 0
    tables = {table: cols for table, cols in watched_tables().items() if table in existing}
    if connection.vendor == "postgresql":
        statements = postgresql_statements(tables)
    elif connection.vendor == "sqlite":
        statements = sqlite_statements(tables)
    else:
        raise NotImplementedError(f"No catalogue triggers for {connection.vendor}")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return len(tables)


def install_after_migrate(sender, using: str = "default", **kwargs) -> None:
    if sender.label == "storefront":
        install(using)
