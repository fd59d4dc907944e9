"""The number and value of orders per status (``OrderCount``) and the number of order
lines (``OrderLineCount``), kept by PostgreSQL triggers on the order tables.

Every statement that inserts, updates or deletes orders (lines) adds, in the same
database transaction, one row per status it changed with the change: only inserts, so
orders placed at the same moment never wait for each other here. What is already there is
counted once, after the triggers are in place and while they hold writers off, so nothing
is missed or counted twice. SQLite keeps no counts (see ``OrderCount``).
"""

from django.db import migrations, models

ORDERS, ORDER_COUNTS = "order_order", "shop_ordercount"
LINES, LINE_COUNTS = "order_line", "shop_orderlinecount"


def _add_up_orders(changes: str) -> str:
    return (
        f"INSERT INTO {ORDER_COUNTS} (status, count, total_incl_tax) "
        f"SELECT status, SUM(count), SUM(total_incl_tax) FROM ({changes}) AS changes "
        f"GROUP BY status HAVING SUM(count) <> 0 OR SUM(total_incl_tax) <> 0"
    )


def _order_changes(rows: str, sign: str) -> str:
    return f"SELECT status, {sign}1 AS count, {sign}total_incl_tax AS total_incl_tax FROM {rows}"


def _add_up_lines(changes: str) -> str:
    return (
        f"INSERT INTO {LINE_COUNTS} (count) SELECT SUM(count) FROM ({changes}) AS changes "
        f"HAVING SUM(count) <> 0"
    )


def _line_changes(rows: str, sign: str) -> str:
    return f"SELECT {sign}1 AS count FROM {rows}"


def _triggers(table: str, counts: str, add_up, changes) -> str:
    """A function adding up what each statement on ``table`` changed, and its triggers."""
    inserted, deleted = changes("new_rows", ""), changes("old_rows", "-")
    return f"""
        CREATE FUNCTION shop_{table}_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {add_up(inserted)};
            ELSIF TG_OP = 'UPDATE' THEN
                {add_up(f"{inserted} UNION ALL {deleted}")};
            ELSIF TG_OP = 'DELETE' THEN
                {add_up(deleted)};
            ELSE
                DELETE FROM {counts};
            END IF;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER shop_counts_insert AFTER INSERT ON {table}
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION shop_{table}_counts_change();
        CREATE TRIGGER shop_counts_update AFTER UPDATE ON {table}
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION shop_{table}_counts_change();
        CREATE TRIGGER shop_counts_delete AFTER DELETE ON {table}
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION shop_{table}_counts_change();
        CREATE TRIGGER shop_counts_truncate AFTER TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION shop_{table}_counts_change();
    """


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(_triggers(ORDERS, ORDER_COUNTS, _add_up_orders, _order_changes))
    schema_editor.execute(_triggers(LINES, LINE_COUNTS, _add_up_lines, _line_changes))
    # Creating the triggers locked both tables against writers until this migration
    # commits, so these counts and the triggers' rows never overlap.
    schema_editor.execute(_add_up_orders(_order_changes(ORDERS, "")))
    schema_editor.execute(_add_up_lines(_line_changes(LINES, "")))


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in (ORDERS, LINES):
        for event in ("insert", "update", "delete", "truncate"):
            schema_editor.execute(f"DROP TRIGGER shop_counts_{event} ON {table}")
        schema_editor.execute(f"DROP FUNCTION shop_{table}_counts_change()")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("order", "0021_billingaddress_code_shippingaddress_code"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrderCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("status", models.CharField(max_length=100)),
                ("count", models.IntegerField()),
                ("total_incl_tax", models.DecimalField(decimal_places=2, max_digits=18)),
            ],
            options={
                "verbose_name": "order count",
                "verbose_name_plural": "order counts (kept by the database)",
            },
        ),
        migrations.CreateModel(
            name="OrderLineCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("count", models.IntegerField()),
            ],
            options={
                "verbose_name": "order line count",
                "verbose_name_plural": "order line counts (kept by the database)",
            },
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
